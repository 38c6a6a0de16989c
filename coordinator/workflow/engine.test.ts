import { describe, expect, it } from 'vitest';
import { CommandError } from '../../core/errors.js';
import { silentLogger } from '../../lib/log.js';
import { runPhases, type EngineContext } from './engine.js';
import type { Phase, PhaseEvent } from './phase.js';

function memoryProgress() {
  const states = new Map<string, string>();
  return { states, recordPhase: async (p: string, state: string) => void states.set(p, state) };
}

function ctx() {
  const events: PhaseEvent[] = [];
  const progress = memoryProgress();
  const c: EngineContext & { log: string[] } = { progress, emit: (e) => events.push(e), logger: silentLogger, log: [] };
  return { c, events, progress };
}

const phase = (id: string, opts: Partial<Phase<EngineContext & { log: string[] }>> = {}): Phase<EngineContext & { log: string[] }> => ({
  id,
  title: `title of ${id}`,
  shouldRun: () => true,
  run: async (c) => void c.log.push(id),
  ...opts,
});

describe('runPhases', () => {
  it('runs in order, skips phases with nothing to do, and records every outcome', async () => {
    const { c, progress } = ctx();
    const result = await runPhases(
      [phase('a'), phase('b', { run: async () => 'unchanged' as const }), phase('c', { shouldRun: () => false }), phase('d')],
      c,
      'rerun deploy',
    );
    expect(c.log).toEqual(['a', 'd']);
    expect(result).toEqual({ ran: ['a', 'd'], skipped: ['b', 'c'] });
    expect(Object.fromEntries(progress.states)).toEqual({ a: 'done', b: 'unchanged', c: 'skipped', d: 'done' });
  });

  it('a failure names the phase and host, cleans up, tells how to resume, and stops', async () => {
    const { c, events, progress } = ctx();
    const cleaned: string[] = [];
    const failing = phase('join-control-plane', {
      run: async () => {
        throw new CommandError('kubeadm join', 1, 'error execution phase preflight', { host: 'master-2' });
      },
      cleanUp: async () => void cleaned.push('join-control-plane'),
    });
    const err = await runPhases([phase('init'), failing, phase('join-workers')], c, 'fix it, then run `coordinatorctl deploy` again').catch((e: unknown) => e);
    expect((err as Error).message).toBe('join-control-plane: master-2: kubeadm join exited 1: error execution phase preflight');
    expect(cleaned).toEqual(['join-control-plane']);
    expect(c.log).toEqual(['init']);
    expect(progress.states.get('join-control-plane')).toBe('failed');
    const failed = events.find((e) => e.kind === 'phase-failed')!;
    expect(failed).toMatchObject({ phase: 'join-control-plane', host: 'master-2' });
    expect(failed.message).toMatch(/run `coordinatorctl deploy` again/);
  });
});
