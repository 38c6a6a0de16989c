import { assessEtcd } from '../../../core/etcd/health.js';
import { controlPlaneNodes } from '../../../core/plan.js';
import { etcdReports, stackedEtcd } from '../../workflow/etcd.js';
import type { ClusterView } from '../../workflow/ports.js';
import type { Phase } from '../../workflow/phase.js';
import { addRow, controlPlaneNames, type VerifyContext } from './verify-report.js';

/** Size for a row: MiB below a GiB. */
function size(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(2)} GiB` : `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}

/**
 * Seed 000's first check: etcd, through each control-plane node's agent with the node's own client certificate
 * (EtcdStatus), judged by core/etcd/health.ts: the member list matches the control-plane nodes one to one by name and
 * peer URL, every member answers without errors, one leader agreed by all, no learner, no alarm, each database under
 * its quota, quorum. One row per member, then one failed row per problem (warnings pass, marked as such).
 */
export const verifyEtcdPhase: Phase<VerifyContext, ClusterView> = {
  id: 'verify-etcd',
  title: 'etcd: members match the control-plane nodes, all healthy, one leader, no learners, no alarms, under quota',
  describe: ({ spec }) => ({ hosts: controlPlaneNames(spec), order: 'parallel', details: [] }),
  shouldRun: (ctx) => stackedEtcd(ctx.spec),
  async run(ctx) {
    const nodes = controlPlaneNodes(ctx.spec).map((n) => ({ name: n.name, address: n.address }));
    const reports = await etcdReports(ctx.agents, nodes, this.id, ctx.signal);
    const a = assessEtcd(nodes, reports);
    for (const m of a.members) {
      const role = m.learner ? 'learner' : m.leader ? 'leader' : 'follower';
      const alarms = m.alarms.length ? `; alarms ${m.alarms.join(', ')}` : '';
      addRow(
        ctx,
        'etcd member',
        m.node || m.name || m.id,
        m.health === 'healthy' && m.alarms.length === 0 && !m.learner,
        `${m.name || '(never started)'} ${m.id} ${role}, ${m.peerUrl}, ${m.dbQuota ? `db ${size(m.dbSize)} of ${size(m.dbQuota)}` : 'db unknown'}, ${m.health}${alarms}`,
      );
    }
    for (const p of a.problems) addRow(ctx, 'etcd', '', false, p);
    for (const w of a.warnings) addRow(ctx, 'etcd', '', true, `warning: ${w}`);
    if (a.healthy)
      addRow(ctx, 'etcd', '', true, `${a.members.length} members healthy, leader ${a.members.find((m) => m.leader)?.name ?? a.leaderId ?? '?'}, quorum`);
  },
};
