import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findPlannedNode } from '../../core/plan.js';
import { loadSpec } from '../../core/validate.js';
import { deployedState, fakeCoordinator, memoryHosts } from '../../test/support/fake-runtime.js';
import { clusterContext } from '../actions/cluster-context.js';
import { DEFAULT_WINDOW_TIMEOUTS, type WindowWork } from '../phases/window/window-target.js';
import { runWindow } from './maintenance-window.js';

const spec = loadSpec(readFileSync(new URL('../../test/fixtures/cluster.yaml', import.meta.url), 'utf8')).spec;
const ALL = spec.nodes.map((n) => n.name);

async function windowOn(
  node: string,
  work: Partial<WindowWork> & { stopsLoadBalancer: boolean },
  prepare?: (state: Awaited<ReturnType<typeof deployedState>>) => Promise<unknown>,
) {
  const state = await deployedState(spec);
  await prepare?.(state);
  const hosts = memoryHosts(spec, []);
  hosts.hosts.currentVersion = () => state.backends.stored().version;
  const c = fakeCoordinator(spec, state, hosts, { connected: ALL });
  const messages: string[] = [];
  const ctx = clusterContext(c.rt, spec, (e) => messages.push(e.message ?? ''), { component: 'test' });
  const seen: string[] = [];
  const during: { drained: string[]; vip: string | undefined }[] = [];
  let error: unknown;
  await runWindow({
    ...ctx,
    target: findPlannedNode(ctx.plan, node)!,
    windowTimeouts: { ...DEFAULT_WINDOW_TIMEOUTS, drainMs: 100 },
    outerPhase: 'test',
    work: {
      id: 'work',
      title: 'work',
      done: async () => false,
      run: async () => {
        seen.push('work');
        during.push({
          drained: state.backends
            .stored()
            .backends.filter((b) => b.state === 'draining')
            .map((b) => b.name),
          vip: hosts.hosts.vip,
        });
      },
      ...work,
    },
  }).catch((err: unknown) => (error = err));
  return { hosts, state, seen, during, error, messages };
}

describe('the maintenance window', () => {
  it('work that stops the load balancer: the holder hands the VIP over first and gets it back only after the work', async () => {
    const holder = spec.nodes[0]!.name;
    const { hosts, state, during, error } = await windowOn(holder, { stopsLoadBalancer: true });
    expect(error).toBeUndefined();
    expect(during).toEqual([{ drained: [holder], vip: expect.not.stringMatching(holder) }]);
    const mine = hosts.calls.filter((x) => x.startsWith(`${holder}:`) && /handOverVip|setVipTrack|waitApiserver/.test(x)).map((x) => x.split(':')[1]);
    expect(mine).toEqual(['handOverVip', 'waitApiserver', 'setVipTrack']);
    expect(state.backends.stored().backends.every((b) => b.state === 'active')).toBe(true);
  });

  it('work that leaves the load balancer running: the VIP stays on the holder, drained all the same', async () => {
    const holder = spec.nodes[0]!.name;
    const { hosts, during } = await windowOn(holder, { stopsLoadBalancer: false });
    expect(during).toEqual([{ drained: [holder], vip: holder }]);
    expect(hosts.calls.filter((x) => /handOverVip|setVipTrack/.test(x))).toEqual([]);
  });

  it('done work is skipped, and the node is still drained and put back', async () => {
    const { seen, hosts, state } = await windowOn(spec.nodes[1]!.name, { stopsLoadBalancer: false, done: async () => true });
    expect(seen).toEqual([]);
    expect(hosts.calls.filter((x) => x.endsWith(':waitApiserver'))).toHaveLength(1);
    expect(state.backends.stored().version).toBeGreaterThan(0);
  });

  it('refuses to drain the last active backend', async () => {
    const others = spec.nodes
      .filter((n) => n.role === 'control-plane')
      .slice(1)
      .map((n) => n.name);
    const node = spec.nodes[0]!.name;
    const { error, seen } = await windowOn(node, { stopsLoadBalancer: false }, (state) =>
      state.backends.update((set) => ({ ...set, backends: set.backends.map((b) => (others.includes(b.name) ? { ...b, state: 'draining' as const } : b)) })),
    );
    expect(String(error)).toMatch(`draining ${node} would leave no active apiserver behind the VIP`);
    expect(seen).toEqual([]);
  });

  it('a failed work leaves the node drained and says how to go on', async () => {
    const node = spec.nodes[1]!.name;
    const { error, state, messages } = await windowOn(node, {
      stopsLoadBalancer: false,
      run: async () => {
        throw new Error('kubeadm exploded');
      },
    });
    expect(String(error)).toMatch(/kubeadm exploded/);
    expect(state.backends.stored().backends.find((b) => b.name === node)?.state).toBe('draining');
    expect(messages.join('\n')).toMatch(new RegExp(`${node} is left drained: .* run the same command again`));
  });

  it('a load balancer that does not apply the restore in time: the node goes back to draining, so the same command runs its window again', async () => {
    const node = spec.nodes[0]!.name;
    let waits = 0;
    const { error, state, hosts, messages } = await windowOn(node, { stopsLoadBalancer: true }, async (s) => {
      s.backends.waitApplied = async (version: number) => {
        // The drain's wait passes; the restore's does not.
        if (++waits === 2) throw new Error(`backend set v${version} not applied within 60000 ms by lagging-lb`);
      };
    });
    expect(String(error)).toMatch(/not applied within 60000 ms by lagging-lb/);
    expect(state.backends.stored().backends.find((b) => b.name === node)?.state).toBe('draining');
    expect(messages.join('\n')).toMatch(new RegExp(`${node} is left drained`));
    // Not allowed to hold the VIP again: that waits for a restore every load balancer applied.
    expect(hosts.calls.filter((x) => x.startsWith(`${node}:`) && /handOverVip|setVipTrack/.test(x))).toEqual([`${node}:handOverVip`]);
  });
});
