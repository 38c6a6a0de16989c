import { readFileSync } from 'node:fs';
import { fakeClusterContext, memoryNodeRecords } from '../../../test/support/cluster-context.js';
import { describe, expect, it } from 'vitest';
import { TimeoutError } from '../../../core/errors.js';
import { findPlannedNode, planCluster } from '../../../core/plan.js';
import { loadSpec } from '../../../core/validate.js';
import type { TaskArgs, TaskKind } from '../../../proto/index.js';
import type { AgentGateway, NodeRecord } from '../../workflow/ports.js';
import { removeMoveVipPhase as removeMoveVip } from './remove-move-vip.js';
import { DEFAULT_REMOVE_TIMEOUTS, type RemoveContext } from './remove-target.js';

const VIP_LEFTOVER = { kind: 'vip', detail: '198.18.0.100/24 on eth0' };

/** master-0 holds the VIP; `takesOver` is the master whose keepalived picks it up after the handover (or nobody). */
function removal(takesOver: string | undefined) {
  const { spec } = loadSpec(readFileSync(new URL('../../../test/fixtures/cluster.yaml', import.meta.url), 'utf8'));
  const plan = planCluster(spec);
  let holder: string | undefined = plan.controlPlane[0]!.name;
  const calls: string[] = [];
  const events: string[] = [];
  const nodes = new Map<string, NodeRecord>(plan.controlPlane.map((n) => [n.name, { name: n.name, role: 'control-plane', joined: true }]));
  const agents: AgentGateway = {
    async runTask<K extends TaskKind>(agent: string, kind: K, args: TaskArgs[K]) {
      calls.push(`${agent}:${kind}${kind === 'setVipTrack' ? `(${String((args as { fault: boolean }).fault)})` : ''}`);
      if (kind === 'verifyClean') return { leftovers: holder === agent ? [VIP_LEFTOVER] : [] } as never;
      if (kind === 'handOverVip') {
        holder = takesOver;
        return { heldNewConnections: true, openAtStart: 3, cut: 1, drainMs: 10, releaseMs: 5 } as never;
      }
      if (kind === 'setVipTrack' && !(args as { fault: boolean }).fault) holder = agent;
      return null as never;
    },
    waitForAgents: async () => undefined,
    facts: () => undefined,
  };
  const ctx: RemoveContext = {
    ...fakeClusterContext(spec, agents, { cluster: memoryNodeRecords(nodes), emit: (e) => void events.push(e.message) }),
    target: findPlannedNode(plan, plan.controlPlane[0]!.name)!,
    removeTimeouts: { ...DEFAULT_REMOVE_TIMEOUTS, vipMoveMs: 600 },
    forgetInSpec: async () => undefined,
    revokeAgent: async () => undefined,
  };
  return { ctx, calls, events, holder: () => holder, masters: plan.controlPlane.map((n) => n.name) };
}

describe('remove-move-vip', () => {
  it('hands the VIP over and returns once another master holds it', async () => {
    const r = removal('master-2');
    expect(await removeMoveVip.shouldRun(r.ctx)).toBe(true);
    await removeMoveVip.run(r.ctx);
    expect(r.calls).toContain(`${r.masters[0]}:handOverVip`);
    expect(r.events).toContain('1 long-lived connection(s) through the VIP were cut; their clients reconnect');
    expect(r.events.at(-1)).toBe('master-2 took the VIP');
    expect(r.calls.some((c) => c.includes('setVipTrack'))).toBe(false);
  });

  it('when nobody takes it, gives the VIP back to the node and stops the removal with what to check', async () => {
    const r = removal(undefined);
    const err = await removeMoveVip.run(r.ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toMatch(
      /^master-0: no other control-plane node \(master-1, master-2\) took the VIP within 600 ms, so master-0 was given it back; check keepalived on them \(coordinatorctl verify\), then run remove-node again$/,
    );
    expect(r.calls.at(-1)).toBe(`${r.masters[0]}:setVipTrack(false)`);
    expect(r.holder()).toBe(r.masters[0]);
  });

  it('skips when the node does not hold the VIP, even when nobody does: a removal cannot make a VIP appear', async () => {
    const r = removal('master-1');
    r.ctx.agents.runTask = (async (agent: string, kind: TaskKind) => {
      r.calls.push(`${agent}:${kind}`);
      return kind === 'verifyClean' ? ({ leftovers: [] } as never) : (null as never);
    }) as AgentGateway['runTask'];
    expect(await removeMoveVip.shouldRun(r.ctx)).toBe(false);
    expect(r.calls.some((c) => c.endsWith(':handOverVip'))).toBe(false);
  });
});
