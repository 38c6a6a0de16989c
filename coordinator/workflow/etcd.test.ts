import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadSpec } from '../../core/validate.js';
import type { TaskArgs, TaskKind } from '../../proto/index.js';
import { fakeClusterContext, memoryNodeRecords } from '../../test/support/cluster-context.js';
import { fakeEtcdStatus, fakeMember, type FakeMember } from '../../test/support/fake-etcd.js';
import { removeEtcdGatePhase } from '../phases/remove-node/remove-etcd-gate.js';
import { removeEtcdMemberPhase } from '../phases/remove-node/remove-etcd-member.js';
import { DEFAULT_REMOVE_TIMEOUTS, type RemoveContext } from '../phases/remove-node/remove-target.js';
import { etcdHealthGatePhase } from '../phases/deploy/etcd-health-gate.js';
import { verifyEtcdPhase } from '../phases/verify/verify-etcd.js';
import { newFindings, type VerifyContext } from '../phases/verify/verify-report.js';
import type { AgentGateway, NodeRecord } from './ports.js';

const { spec } = loadSpec(readFileSync(new URL('../../test/fixtures/cluster.yaml', import.meta.url), 'utf8'));
const [m0, m1, m2] = spec.nodes.filter((n) => n.role === 'control-plane');

function world(members: FakeMember[], joined: string[] = spec.nodes.map((n) => n.name)) {
  const etcd = { members };
  const calls: string[] = [];
  const events: string[] = [];
  const agents: AgentGateway = {
    async runTask<K extends TaskKind>(agent: string, kind: K, args: TaskArgs[K]) {
      calls.push(`${agent}:${kind}`);
      if (kind === 'etcdStatus') return fakeEtcdStatus(etcd.members, agent) as never;
      if (kind === 'etcdRemoveMember') {
        const id = (args as TaskArgs['etcdRemoveMember']).memberId;
        etcd.members = etcd.members.filter((m) => m.id !== id);
        return { removed: true, detail: `removed etcd member ${id}` } as never;
      }
      return null as never;
    },
    waitForAgents: async () => undefined,
    facts: () => undefined,
  };
  const records = new Map<string, NodeRecord>(joined.map((name) => [name, { name, role: spec.nodes.find((n) => n.name === name)!.role, joined: true }]));
  const ctx = fakeClusterContext(spec, agents, { cluster: memoryNodeRecords(records), emit: (e) => void events.push(e.message) });
  return { ctx, etcd, calls, events };
}

const healthy = () => [fakeMember(m0!.name, m0!.address, 0), fakeMember(m1!.name, m1!.address, 1), fakeMember(m2!.name, m2!.address, 2)];

function removal(base: ReturnType<typeof world>['ctx'], target: string, force = false): RemoveContext {
  return {
    ...base,
    target: base.plan.controlPlane.find((n) => n.name === target) ?? base.plan.workers.find((n) => n.name === target)!,
    removeTimeouts: DEFAULT_REMOVE_TIMEOUTS,
    forgetInSpec: async () => undefined,
    revokeAgent: async () => undefined,
    targetRevoked: async () => false,
    ...(force ? { force: true } : {}),
  };
}

describe('etcd-health-gate (deploy)', () => {
  it('passes a healthy cluster and leaves out the dangling member of the pending node', async () => {
    const w = world([fakeMember(m0!.name, m0!.address, 0), fakeMember('', m1!.address, 1, { unstarted: true, learner: true })], [m0!.name]);
    expect(await etcdHealthGatePhase.shouldRun(w.ctx)).toBe(true);
    await etcdHealthGatePhase.run(w.ctx);
    expect(w.events).toContain('etcd healthy (1 members, leader 1000)');
  });

  it('does not run before init (no etcd yet); runs on a fully joined cluster, where a re-run would change hosts', async () => {
    expect(await etcdHealthGatePhase.shouldRun(world(healthy(), []).ctx)).toBe(false);
    expect(await etcdHealthGatePhase.shouldRun(world(healthy()).ctx)).toBe(true);
  });

  it('refuses a fully joined cluster that lost quorum, before any host is changed', async () => {
    const members = healthy().map((m, i) => (i > 0 ? { ...m, down: true } : m));
    const w = world(members);
    await expect(etcdHealthGatePhase.run(w.ctx)).rejects.toThrow(/quorum/i);
  });
});

describe('remove-node around etcd', () => {
  it('the gate passes a dead target (its member left out) but refuses when the removal would cost quorum', async () => {
    const targetDown = world(healthy().map((m) => (m.name === m2!.name ? { ...m, down: true } : m)));
    await removeEtcdGatePhase.run(removal(targetDown.ctx, m2!.name));
    const otherDown = world(healthy().map((m) => (m.name === m1!.name ? { ...m, down: true } : m)));
    await expect(removeEtcdGatePhase.run(removal(otherDown.ctx, m2!.name))).rejects.toThrow(
      /remove-etcd-gate: master-2: etcd is unhealthy; refusing to remove master-2:\n {2}- etcd quorum lost: 1 of 2 voting members answer, 2 needed/,
    );
  });

  it('--force goes on and says what it skipped', async () => {
    const otherDown = world(healthy().map((m) => (m.name === m1!.name ? { ...m, down: true } : m)));
    await removeEtcdGatePhase.run(removal(otherDown.ctx, m2!.name, true));
    expect(
      otherDown.events.some((e) =>
        /^warning: --force: going on to remove master-2 although etcd is unhealthy; skipped the etcd health gate over:\n {2}- etcd quorum lost/.test(e),
      ),
    ).toBe(true);
  });

  it('a worker removal is not gated', async () => {
    const w = world(healthy());
    expect(await removeEtcdGatePhase.shouldRun(removal(w.ctx, 'worker-0'))).toBe(false);
  });

  it('after kubeadm reset, a member left with the node peer URL is removed through a healthy node, and said so', async () => {
    const w = world(healthy());
    await removeEtcdMemberPhase.run(removal(w.ctx, m2!.name));
    expect(w.calls).toContain(`${m0!.name}:etcdRemoveMember`);
    expect(w.etcd.members.map((m) => m.name)).toEqual([m0!.name, m1!.name]);
    expect(w.events).toContain(`etcd member master-2 1002 with https://${m2!.address}:2380 is still there: removing it through master-0`);
    const again = world(w.etcd.members);
    await removeEtcdMemberPhase.run(removal(again.ctx, m2!.name));
    expect(again.calls.filter((c) => c.endsWith('etcdRemoveMember'))).toEqual([]);
    expect(again.events).toContain(`no etcd member with https://${m2!.address}:2380 is left`);
  });
});

describe('verify-etcd', () => {
  it('one row per member and one failed row per problem', async () => {
    const w = world(healthy().map((m) => (m.name === m1!.name ? { ...m, down: true } : m)));
    const ctx: VerifyContext = {
      ...w.ctx,
      failover: false,
      registered: async () => [],
      connected: () => [],
      runningOperation: () => undefined,
      report: newFindings(),
    };
    await verifyEtcdPhase.run(ctx);
    const rows = ctx.report.rows;
    expect(rows.filter((r) => r.check === 'etcd member').map((r) => [r.host, r.ok])).toEqual([
      ['master-0', true],
      ['master-1', false],
      ['master-2', true],
    ]);
    expect(rows.filter((r) => r.check === 'etcd' && !r.ok).map((r) => r.detail)).toEqual([
      expect.stringMatching(/^etcd member master-1 \(1001\) is not answering \(master-1: https:/),
    ]);
  });
});
