import { vipCidr } from '../../../core/plan.js';
import { vipHeldBy } from '../../workflow/host-tasks.js';
import type { Phase } from '../../workflow/phase.js';
import { hostDone, onTarget, progress, type RemoveContext, type RemoveView } from './remove-target.js';

/** A VIP left on an interface breaks the next install (seed 000): deleted once keepalived can no longer add it back. */
export const removeVipPhase: Phase<RemoveContext, RemoveView> = {
  id: 'remove-vip',
  title: 'Delete the VIP from the node',
  describe: (view) => onTarget(view, `ip addr del ${vipCidr(view.spec)} if the node still carries it`),
  shouldRun: async (ctx) => !(await hostDone(ctx)) && (await vipHeldBy(ctx, ctx.target.name)).length > 0,
  async run(ctx) {
    const e = ctx.spec.controlPlaneEndpoint;
    const prefixLength = Number(vipCidr(ctx.spec).split('/')[1]);
    await ctx.agents.runTask(
      ctx.target.name,
      'removeVip',
      { vip: e.vip, prefixLength, interface: ctx.target.interface ?? '' },
      { onProgress: (l) => progress(ctx, this.id, l) },
    );
  },
};
