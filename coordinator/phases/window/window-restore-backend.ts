import { activateBackend, drainBackend } from '../../../core/backend-set.js';
import { loadBalancerAgents } from '../../workflow/host-tasks.js';
import type { Phase } from '../../workflow/phase.js';
import { releaseVip } from '../../workflow/vip-move.js';
import { onTarget, say, type WindowContext, type WindowView } from './window-target.js';

/** The node back in service: its backend active on every haproxy (applied), and allowed to hold the VIP again. */
export const windowRestoreBackendPhase: Phase<WindowContext, WindowView> = {
  id: 'window-restore-backend',
  title: "Put the node's apiserver back on every load balancer",
  describe: (view) => onTarget(view, `${view.target.name} active in the backend set, applied everywhere; the node may hold the VIP again`),
  shouldRun: () => true,
  async run(ctx) {
    const next = await ctx.backends.update((set) => activateBackend(set, ctx.target.name));
    const agents = await loadBalancerAgents(ctx);
    await ctx.backends.waitApplied(next.version, agents, ctx.timeouts.lbAppliedMs);
    // The track file is OK again (or kube-vip started); harmless when the VIP never moved.
    if (ctx.spec.controlPlaneEndpoint.loadBalancer === 'kube-vip' || ctx.work.stopsLoadBalancer) await releaseVip(ctx, ctx.target.name);
    say(ctx, this.id, `${ctx.target.name} active in backend set v${next.version}, applied by ${agents.join(', ')}`);
  },
  // A load balancer that did not apply the restore in time: the node goes back to draining (the others may have put it
  // back already), as the failure says. Otherwise the same command again would find it active and done, skip its
  // window, and never let it hold the VIP again; this way it runs the window again once every load balancer is current.
  async cleanUp(ctx) {
    await ctx.backends.update((set) => drainBackend(set, ctx.target.name));
  },
};
