import { loadBalancerAgents, vipHeldBy } from '../../workflow/host-tasks.js';
import { moveVipAway } from '../../workflow/vip-move.js';
import type { Phase } from '../../workflow/phase.js';
import { hostDone, onTarget, progress, type RemoveContext, type RemoveView } from './remove-target.js';

/**
 * The VIP leaves first, while every apiserver still serves. The holder's agent hands it over: new connections held,
 * open ones drained, then keepalived's track file to FAULT (a priority drop would not move it under nopreempt); we
 * wait until the holder no longer carries the address and another node does (or give it back and stop).
 * kube-vip has no track file; stopping its static pod makes it give up the lease.
 */
export const removeMoveVipPhase: Phase<RemoveContext, RemoveView> = {
  id: 'remove-move-vip',
  title: 'Move the VIP away from the node',
  describe: (view) =>
    onTarget(view, 'if it holds the VIP: hold new connections, drain open ones, let go (FAULT), wait until another control-plane node holds it'),
  shouldRun: async (ctx) => ctx.target.role === 'control-plane' && !(await hostDone(ctx)) && (await vipMoveUnfinished(ctx)),
  async run(ctx) {
    await moveVipAway(ctx, ctx.target.name, ctx.removeTimeouts, (message) => progress(ctx, this.id, message), 'run remove-node again');
  },
};

/**
 * The node holds the VIP, or nobody does. The second is a move cut short: a coordinator killed after the handover
 * task reached the agent leaves the node in FAULT with the address gone and, until another keepalived takes it, no VIP
 * at all. Skipping would go on to drain the node's backend with no VIP in front; running again waits for a taker or
 * gives the VIP back.
 */
async function vipMoveUnfinished(ctx: RemoveContext): Promise<boolean> {
  if ((await vipHeldBy(ctx, ctx.target.name)).length > 0) return true;
  for (const other of await loadBalancerAgents(ctx)) if (other !== ctx.target.name && (await vipHeldBy(ctx, other)).length > 0) return false;
  return true;
}
