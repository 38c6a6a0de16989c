import { controlPlaneEndpoint } from '../../../core/plan.js';
import type { ClusterContext, ClusterView } from '../../workflow/ports.js';
import { UNRECORDED, type Phase } from '../../workflow/phase.js';
import { runVerify } from '../../actions/verify.js';
import { newFindings } from '../verify/verify-report.js';

/**
 * The deploy ends where seed 000 ends: a summary, then the verify checks (nodes, load balancers, backends UP, one VIP
 * holder, the apiserver through the VIP). A failed check is reported as a warning, not as a failed deploy: right
 * after the last join a haproxy needs fall x interval to mark the new backend UP, and the deploy's own work is done.
 * `coordinatorctl verify` is the gate, with an exit code.
 */
export const verifyPhase: Phase<ClusterContext, ClusterView> = {
  id: 'verify',
  title:
    'Verify: nodes, etcd (members match, healthy, one leader, no learners or alarms, under quota), LB backends UP, exactly one VIP holder, apiserver through the VIP',
  describe: () => ({ hosts: [], order: 'none', details: [] }),
  shouldRun: () => true,
  async run(ctx) {
    const set = await ctx.backends.current();
    const joined = (await Promise.all(ctx.spec.nodes.map(async (n) => ((await ctx.cluster.node(n.name))?.joined ? n.name : undefined)))).filter(
      (n) => n !== undefined,
    );
    ctx.emit({
      kind: 'progress',
      phase: 'verify',
      message:
        `cluster ${ctx.spec.name}: ${joined.length}/${ctx.spec.nodes.length} nodes joined; ` +
        `apiserver at https://${controlPlaneEndpoint(ctx.spec)} (backend set v${set.version}: ${set.backends.map((b) => b.name).join(', ')}); ` +
        `kubeconfig: /etc/kubernetes/admin.conf on ${ctx.plan.initNode.name}`,
    });
    const connected = () => ctx.agents.connected?.() ?? ctx.spec.nodes.filter((n) => ctx.agents.facts(n.name) !== undefined).map((n) => n.name);
    const report = await runVerify({
      ...ctx,
      progress: UNRECORDED,
      // Quiet: the rows are the output, not the sub-phases' start and done lines.
      emit: () => undefined,
      failover: false,
      // A connected agent holds a certificate from its registration.
      registered: async () => connected(),
      connected,
      runningOperation: () => undefined,
      report: newFindings(),
    });
    const failed = report.rows.filter((r) => !r.ok);
    for (const r of failed) ctx.emit({ kind: 'progress', phase: 'verify', ...(r.host ? { host: r.host } : {}), message: `warning: ${r.check}: ${r.detail}` });
    ctx.emit({
      kind: 'progress',
      phase: 'verify',
      message: `verify: ${report.rows.length - failed.length}/${report.rows.length} checks passed${failed.length > 0 ? '; run `coordinatorctl verify` for the table' : ''}`,
    });
  },
};
