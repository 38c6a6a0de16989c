import { assessEtcd } from '../../../core/etcd/health.js';
import { peerUrlOf } from '../../../core/etcd/gateway.js';
import { enforceGate, etcdReports, joinedControlPlaneNodes, stackedEtcd } from '../../workflow/etcd.js';
import type { Phase } from '../../workflow/phase.js';
import { hostDone, onTarget, type RemoveContext, type RemoveView } from './remove-target.js';

/**
 * Before a control-plane node leaves: the etcd that remains without it must be healthy, as the other joined
 * control-plane nodes' agents see it (its member left out, so a dead member is no reason to keep it; but one more
 * member down elsewhere is, since the removal would then cost quorum). Refuses otherwise; `--force` goes on and says
 * what it skipped. A worker's removal changes no member, so it is not gated.
 */
export const removeEtcdGatePhase: Phase<RemoveContext, RemoveView> = {
  id: 'remove-etcd-gate',
  title: 'etcd health gate: the members that remain must be healthy',
  describe: (view) =>
    view.target.role === 'control-plane'
      ? onTarget(
          view,
          `etcd without ${view.target.name}'s member healthy as the other control-plane nodes see it, or refuse (--force: go on and say what was skipped)`,
        )
      : onTarget(view, 'a worker: no etcd member changes'),
  shouldRun: async (ctx) => ctx.target.role === 'control-plane' && stackedEtcd(ctx.spec) && !(await hostDone(ctx)),
  async run(ctx) {
    const remaining = (await joinedControlPlaneNodes(ctx)).filter((n) => n.name !== ctx.target.name);
    const reports = await etcdReports(ctx.agents, remaining, this.id, ctx.signal);
    const assessment = assessEtcd(remaining, reports, { excludePeerUrls: [peerUrlOf(ctx.target.address)] });
    enforceGate(ctx, this.id, `remove ${ctx.target.name}`, assessment, ctx.target.name);
  },
};
