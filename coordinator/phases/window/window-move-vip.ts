import { vipHeldBy } from '../../workflow/host-tasks.js';
import type { Phase } from '../../workflow/phase.js';
import { moveVipAway } from '../../workflow/vip-move.js';
import { onTarget, say, type WindowContext, type WindowView } from './window-target.js';

/**
 * The VIP off the node while it is worked on: handed over (held, drained, moved) when the node holds it, and in
 * kube-vip mode kube-vip stopped in any case (it restarts at the end with the kubeconfig the work may have renewed).
 * The node stays unable to take the VIP back until window-restore-backend.
 */
export const windowMoveVipPhase: Phase<WindowContext, WindowView> = {
  id: 'window-move-vip',
  title: 'Move the VIP away from the node',
  describe: (view) => onTarget(view, 'if it holds the VIP: hand it over hitlessly; keep it from coming back until the window ends'),
  shouldRun: async (ctx) => ctx.spec.controlPlaneEndpoint.loadBalancer === 'kube-vip' || (await vipHeldBy(ctx, ctx.target.name)).length > 0,
  async run(ctx) {
    if ((await vipHeldBy(ctx, ctx.target.name)).length === 0) {
      await ctx.agents.runTask(ctx.target.name, 'stopLoadBalancer', {});
      say(ctx, this.id, 'kube-vip stopped for the window');
      return;
    }
    await moveVipAway(ctx, ctx.target.name, ctx.windowTimeouts, (m) => say(ctx, this.id, m), 'run the same command again');
  },
};
