import { assessEtcd } from '../../../core/etcd/health.js';
import { peerUrlOf } from '../../../core/etcd/gateway.js';
import { enforceGate, etcdReports, joinedControlPlaneNodes, stackedEtcd } from '../../workflow/etcd.js';
import { notJoined } from '../../workflow/host-tasks.js';
import type { ClusterContext, ClusterView } from '../../workflow/ports.js';
import type { Phase } from '../../workflow/phase.js';

const pendingControlPlane = (ctx: ClusterContext) => notJoined(ctx, ctx.plan.controlPlane.slice(1));

/**
 * Before deploy touches a cluster that already has joined control-plane nodes (a re-run, add-node): etcd, as the
 * joined control-plane nodes' agents see it, must be healthy (members match the joined nodes, all answer, one leader,
 * no learner, no alarm, under quota, quorum). Refuses otherwise, before any host is changed, saying what is wrong;
 * `--force` goes on and says what it skipped. A member with a pending node's peer URL is left out here: it is the
 * dangling member of an interrupted join, which join-control-plane removes right before that node's join (and checks
 * health again, as before every join: the previous one changed the membership). A first deploy has no etcd yet.
 */
export const etcdHealthGatePhase: Phase<ClusterContext, ClusterView> = {
  id: 'etcd-health-gate',
  title: 'etcd health gate before changing a deployed cluster (members, leader, learners, alarms, quota, quorum)',
  describe: ({ plan }) => ({
    hosts: plan.controlPlane.map((n) => n.name),
    order: 'parallel',
    details: [
      "once a control-plane node is joined: etcd healthy as every joined control-plane node's agent sees it, or refuse before changing any host (--force: go on and say what was skipped)",
    ],
  }),
  shouldRun: async (ctx) => stackedEtcd(ctx.spec) && (await joinedControlPlaneNodes(ctx)).length > 0,
  async run(ctx) {
    const pending = await pendingControlPlane(ctx);
    const expected = await joinedControlPlaneNodes(ctx);
    const reports = await etcdReports(ctx.agents, expected, this.id, ctx.signal);
    const assessment = assessEtcd(expected, reports, { excludePeerUrls: pending.map((n) => peerUrlOf(n.address)) });
    enforceGate(ctx, this.id, pending.length > 0 ? `join ${pending.map((n) => n.name).join(', ')}` : `change cluster ${ctx.spec.name}`, assessment);
  },
};
