import { describe, expect, it } from 'vitest';
import { CommandError } from '../../core/errors.js';
import { silentLogger } from '../../lib/log.js';
import { describePhases, dryRunPhases, runAction, runPhases } from './engine.js';
import type { EngineContext, Phase, PhaseEvent } from './phase.js';

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
  describe: () => ({ hosts: [id === 'a' ? 'host-a' : 'host-x'], order: 'single', details: [`${id} would change something`] }),
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

describe('runAction', () => {
  it("keeps the action's own record beside its phases: running, then done (unchanged when only observers ran)", async () => {
    const { c, progress } = ctx();
    const seen: string[] = [];
    const watching = {
      ...progress,
      recordPhase: async (p: string, state: string) => {
        seen.push(`${p}=${state}`);
        progress.states.set(p, state);
      },
    };
    const action = { kind: 'deploy', phases: [phase('validate'), phase('b', { shouldRun: () => false })], resumeHint: 'again', observing: ['validate'] };
    const result = await runAction(action, { ...c, progress: watching }, 'prod');
    expect(result).toEqual({ ran: [], skipped: ['validate', 'b'] });
    expect(seen[0]).toBe('deploy=running');
    expect(seen.at(-1)).toBe('deploy=done');
  });

  it('records the action failed when a phase fails, and rethrows', async () => {
    const { c, progress } = ctx();
    const action = { kind: 'remove-node', phases: [phase('x', { run: async () => Promise.reject(new Error('boom')) })], resumeHint: 'again' };
    await expect(runAction(action, c, 'master-1')).rejects.toThrow(/x: boom/);
    expect(progress.states.get('remove-node')).toBe('failed');
  });
});

describe('the dry run and the plan', () => {
  it('describes only the phases reality still needs, and runs none of them', async () => {
    const { c, events } = ctx();
    const steps = await dryRunPhases([phase('a'), phase('b', { shouldRun: () => false }), phase('c')], c);
    expect(steps.map((s) => s.phase)).toEqual(['a', 'c']);
    expect(c.log).toEqual([]);
    const lines = events.filter((e) => e.kind === 'plan').map((e) => e.message);
    expect(lines).toEqual([
      'would run: title of a',
      'hosts: host-a',
      '- a would change something',
      'would run: title of c',
      'hosts: host-x',
      '- c would change something',
    ]);
    expect(events.find((e) => e.phase === 'b')?.kind).toBe('phase-skip');
  });

  it('the offline plan describes every phase from the view alone, without asking anything', () => {
    const asked: string[] = [];
    const phases = [phase('a', { shouldRun: () => void asked.push('a') as never }), phase('b')];
    expect(describePhases(phases, undefined as never).map((s) => `${s.phase}:${s.hosts.join(',')}`)).toEqual(['a:host-a', 'b:host-x']);
    expect(asked).toEqual([]);
  });

  it('lets a dry run only look: a task that would change a host is refused, one that asks goes through', async () => {
    const { c } = ctx();
    const sent: string[] = [];
    const agents = {
      runTask: async (agent: string, kind: string) => void sent.push(`${agent}:${kind}`) as never,
      waitForAgents: async () => undefined,
      facts: () => undefined,
    };
    type WithAgents = EngineContext & { log: string[]; agents: typeof agents };
    const asking: Phase<WithAgents> = {
      ...phase('asks'),
      shouldRun: async (x: WithAgents) => {
        await x.agents.runTask('m0', 'verifyClean');
        return true;
      },
    } as never;
    const changing: Phase<WithAgents> = {
      ...phase('changes'),
      shouldRun: async (x: WithAgents) => {
        await x.agents.runTask('m0', 'kubeadmReset');
        return true;
      },
    } as never;
    await dryRunPhases([asking], { ...c, agents });
    expect(sent).toEqual(['m0:verifyClean']);
    await expect(dryRunPhases([changing], { ...c, agents })).rejects.toThrow('a dry run does not send kubeadmReset to m0: it only asks');
    expect(sent).toEqual(['m0:verifyClean']);
  });
});
