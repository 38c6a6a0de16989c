import { setTimeout as sleep } from 'node:timers/promises';
import { TimeoutError } from '../../../core/errors.js';
import { loadBalancerAgents, vipHeldBy } from '../../workflow/host-tasks.js';
import type { Phase } from '../../workflow/phase.js';
import { hostDone, onTarget, progress, type RemoveContext, type RemoveView } from './remove-target.js';

const POLL_MS = 200;

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
  shouldRun: async (ctx) => ctx.target.role === 'control-plane' && !(await hostDone(ctx)) && (await vipHeldBy(ctx, ctx.target.name)).length > 0,
  async run(ctx) {
    const node = ctx.target.name;
    if (ctx.spec.controlPlaneEndpoint.loadBalancer === 'kube-vip') {
      await ctx.agents.runTask(node, 'stopLoadBalancer', {}, { onProgress: (l) => progress(ctx, this.id, l) });
    } else {
      const { vipDrainMs, vipMoveMs } = ctx.removeTimeouts;
      const handover = await ctx.agents.runTask(
        node,
        'handOverVip',
        { vip: ctx.spec.controlPlaneEndpoint.vip, port: ctx.spec.controlPlaneEndpoint.port, drainTimeoutMs: vipDrainMs, moveTimeoutMs: vipMoveMs },
        { onProgress: (l) => progress(ctx, this.id, l), timeoutMs: vipDrainMs + vipMoveMs + 10_000 },
      );
      if (handover.cut > 0) progress(ctx, this.id, `${handover.cut} long-lived connection(s) through the VIP were cut; their clients reconnect`);
      progress(ctx, this.id, 'waiting for another node to take the VIP');
    }
    const deadline = Date.now() + ctx.removeTimeouts.vipMoveMs;
    // The handover already waited for the address to leave; kube-vip's leaves when its pod has stopped.
    for (;;) {
      ctx.signal?.throwIfAborted();
      const held = await vipHeldBy(ctx, node);
      if (held.length === 0) break;
      if (Date.now() > deadline) {
        throw new TimeoutError(
          `${node} still holds ${held.join(', ')} ${ctx.removeTimeouts.vipMoveMs} ms after it was told to let go; is its load balancer still running?`,
          { host: node },
        );
      }
      await sleep(POLL_MS);
    }
    progress(ctx, this.id, 'the VIP left the node');
    // Then someone else must have it before the node's backend and etcd member go; if nobody does, the cluster has no
    // VIP at all, so the node gets it back and the removal stops.
    const others = (await loadBalancerAgents(ctx)).filter((n) => n !== node);
    for (;;) {
      ctx.signal?.throwIfAborted();
      const taken: string[] = [];
      for (const other of others) if ((await vipHeldBy(ctx, other)).length > 0) taken.push(other);
      if (taken.length > 0) {
        progress(ctx, this.id, `${taken.join(', ')} took the VIP`);
        return;
      }
      if (Date.now() > deadline) {
        if (ctx.spec.controlPlaneEndpoint.loadBalancer === 'kube-vip') await ctx.agents.runTask(node, 'startLoadBalancer', {});
        else await ctx.agents.runTask(node, 'setVipTrack', { fault: false });
        throw new TimeoutError(
          `no other control-plane node (${others.join(', ') || 'none joined'}) took the VIP within ${ctx.removeTimeouts.vipMoveMs} ms, so ${node} was given it back; check keepalived on them (coordinatorctl verify), then run remove-node again`,
          { host: node },
        );
      }
      await sleep(POLL_MS);
    }
  },
};
