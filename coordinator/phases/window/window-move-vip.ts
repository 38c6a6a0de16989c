import { vipHeldBy } from '../../workflow/host-tasks.js';
import type { Phase } from '../../workflow/phase.js';
import { moveVipAway } from '../../workflow/vip-move.js';
import { onTarget, say, type WindowContext, type WindowView } from './window-target.js';

/**
 * The VIP off the node while its load balancer is down: handed over (held, drained, moved) when the node holds it and
 * the work stops the load balancer; in kube-vip mode kube-vip is stopped in any case (it restarts at the end with the
 * kubeconfig the work may have renewed). The node stays unable to take the VIP back until window-restore-backend.
 * Work that leaves keepalived and haproxy running (certificate renewal, a control-plane upgrade) keeps the VIP where
 * it is: moving it would cut the connections established through the holder.
 */
export const windowMoveVipPhase: Phase<WindowContext, WindowView> = {
  id: 'window-move-vip',
  title: 'Move the VIP away from the node',
  describe: (view) =>
    onTarget(view, 'kube-vip: stopped for the window; keepalived: if it holds the VIP and the work stops its load balancer, hand it over hitlessly'),
  shouldRun: async (ctx) =>
    ctx.spec.controlPlaneEndpoint.loadBalancer === 'kube-vip' || (ctx.work.stopsLoadBalancer && (await vipHeldBy(ctx, ctx.target.name)).length > 0),
  async run(ctx) {
    if ((await vipHeldBy(ctx, ctx.target.name)).length === 0) {
      await ctx.agents.runTask(ctx.target.name, 'stopLoadBalancer', {});
      say(ctx, this.id, 'kube-vip stopped for the window');
      return;
    }
    await moveVipAway(ctx, ctx.target.name, ctx.windowTimeouts, (m) => say(ctx, this.id, m), 'run the same command again');
  },
};
