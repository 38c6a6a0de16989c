import { assessEtcd } from '../../../core/etcd/health.js';
import { peerUrlOf } from '../../../core/etcd/gateway.js';
import { enforceGate, etcdReports, joinedControlPlaneNodes, stackedEtcd } from '../../workflow/etcd.js';
import { notJoined } from '../../workflow/host-tasks.js';
import type { ClusterContext, ClusterView } from '../../workflow/ports.js';
import type { Phase } from '../../workflow/phase.js';

const pendingControlPlane = (ctx: ClusterContext) => notJoined(ctx, ctx.plan.controlPlane.slice(1));

/**
 * Before any control-plane join: etcd, as the joined control-plane nodes' agents see it, must be healthy (members match
 * the joined nodes, all answer, one leader, no learner, no alarm, under quota, quorum). Refuses otherwise, saying what
 * is wrong; `--force` goes on and says what it skipped. A member with a pending node's peer URL is left out here: it
 * is the dangling member of an interrupted join, which join-control-plane removes right before that node's join (and
 * checks health again, as before every join: the previous one changed the membership).
 */
export const etcdHealthGatePhase: Phase<ClusterContext, ClusterView> = {
  id: 'etcd-health-gate',
  title: 'etcd health gate before control-plane joins (members, leader, learners, alarms, quota, quorum)',
  describe: ({ plan }) => ({
    hosts: plan.controlPlane.length > 1 ? plan.controlPlane.slice(0, -1).map((n) => n.name) : [],
    order: plan.controlPlane.length > 1 ? 'parallel' : 'none',
    details:
      plan.controlPlane.length > 1
        ? [
            `before joining ${plan.controlPlane
              .slice(1)
              .map((n) => n.name)
              .join(', ')}: etcd healthy as every joined control-plane node's agent sees it, or refuse (--force: go on and say what was skipped)`,
          ]
        : ['single control-plane node: no join to gate'],
  }),
  shouldRun: async (ctx) => stackedEtcd(ctx.spec) && (await pendingControlPlane(ctx)).length > 0 && (await joinedControlPlaneNodes(ctx)).length > 0,
  async run(ctx) {
    const pending = await pendingControlPlane(ctx);
    const expected = await joinedControlPlaneNodes(ctx);
    const reports = await etcdReports(ctx.agents, expected, this.id, ctx.signal);
    const assessment = assessEtcd(expected, reports, { excludePeerUrls: pending.map((n) => peerUrlOf(n.address)) });
    enforceGate(ctx, this.id, `join ${pending.map((n) => n.name).join(', ')}`, assessment);
  },
};
