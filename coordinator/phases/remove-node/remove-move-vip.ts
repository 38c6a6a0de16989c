import { vipHeldBy } from '../../workflow/host-tasks.js';
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
  // Decided by the node alone. When nobody holds the VIP (a cluster without a working one, or a move cut short by a
  // coordinator killed after the handover reached the agent, and no other keepalived took it), the removal cannot
  // make one appear and must not stop on it: the node is on its way out, FAULT or not, and verify reports the VIP.
  shouldRun: async (ctx) => ctx.target.role === 'control-plane' && !(await hostDone(ctx)) && (await vipHeldBy(ctx, ctx.target.name)).length > 0,
  async run(ctx) {
    await moveVipAway(ctx, ctx.target.name, ctx.removeTimeouts, (message) => progress(ctx, this.id, message), 'run remove-node again');
  },
};
