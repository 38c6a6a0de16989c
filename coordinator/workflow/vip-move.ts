/**
 * A planned move of the VIP off one node, shared by remove-node and the maintenance window. The holder's agent hands
 * it over: new connections held, open ones drained, then keepalived's track file to FAULT (a priority drop would not
 * move it under nopreempt); then we wait until the node no longer carries the address and another node does, or
 * give it back and fail. kube-vip has no track file; stopping its static pod makes it give up the lease.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { TimeoutError } from '../../core/errors.js';
import { loadBalancerAgents, vipHeldBy } from './host-tasks.js';
import type { ClusterContext } from './ports.js';

const POLL_MS = 200;

export interface VipMoveTimeouts {
  /** How long the handover lets open connections through the VIP finish. */
  readonly vipDrainMs: number;
  /** How long the address may take to leave, and another node to take it. */
  readonly vipMoveMs: number;
}

/**
 * Moves the VIP from `node` to another joined control-plane node. The node is left unable to take it back (FAULT, or
 * kube-vip stopped) until `releaseVip`. `say` reports progress; `retry` ends the give-back error message.
 */
export async function moveVipAway(ctx: ClusterContext, node: string, t: VipMoveTimeouts, say: (message: string) => void, retry: string): Promise<void> {
  if (ctx.spec.controlPlaneEndpoint.loadBalancer === 'kube-vip') {
    await ctx.agents.runTask(node, 'stopLoadBalancer', {}, { onProgress: say });
  } else {
    const handover = await ctx.agents.runTask(
      node,
      'handOverVip',
      { vip: ctx.spec.controlPlaneEndpoint.vip, port: ctx.spec.controlPlaneEndpoint.port, drainTimeoutMs: t.vipDrainMs, moveTimeoutMs: t.vipMoveMs },
      { onProgress: say, timeoutMs: t.vipDrainMs + t.vipMoveMs + 10_000 },
    );
    if (handover.cut > 0) say(`${handover.cut} long-lived connection(s) through the VIP were cut; their clients reconnect`);
    say('waiting for another node to take the VIP');
  }
  const deadline = Date.now() + t.vipMoveMs;
  // The handover already waited for the address to leave; kube-vip's leaves when its pod has stopped.
  for (;;) {
    ctx.signal?.throwIfAborted();
    const held = await vipHeldBy(ctx, node);
    if (held.length === 0) break;
    if (Date.now() > deadline) {
      throw new TimeoutError(`${node} still holds ${held.join(', ')} ${t.vipMoveMs} ms after it was told to let go; is its load balancer still running?`, {
        host: node,
      });
    }
    await sleep(POLL_MS);
  }
  say('the VIP left the node');
  // Then someone else must have it; if nobody does, the cluster has no VIP at all, so the node gets it back.
  const others = (await loadBalancerAgents(ctx)).filter((n) => n !== node);
  for (;;) {
    ctx.signal?.throwIfAborted();
    const taken: string[] = [];
    for (const other of others) if ((await vipHeldBy(ctx, other)).length > 0) taken.push(other);
    if (taken.length > 0) {
      say(`${taken.join(', ')} took the VIP`);
      return;
    }
    if (Date.now() > deadline) {
      await releaseVip(ctx, node);
      throw new TimeoutError(
        `no other control-plane node (${others.join(', ') || 'none joined'}) took the VIP within ${t.vipMoveMs} ms, so ${node} was given it back; check keepalived on them (coordinatorctl verify), then ${retry}`,
        { host: node },
      );
    }
    await sleep(POLL_MS);
  }
}

/** Lets `node` hold the VIP again: its track file back to OK, or kube-vip started. */
export async function releaseVip(ctx: ClusterContext, node: string): Promise<void> {
  if (ctx.spec.controlPlaneEndpoint.loadBalancer === 'kube-vip') await ctx.agents.runTask(node, 'startLoadBalancer', {});
  else await ctx.agents.runTask(node, 'setVipTrack', { fault: false });
}
