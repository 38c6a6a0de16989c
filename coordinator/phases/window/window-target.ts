/**
 * The maintenance window: one control-plane node at a time taken out of service without a failed request through
 * the VIP, worked on, and put back (DESIGN.md, issue 13). Its steps are phases (this directory), run for one node by
 * runWindow, on the same engine as every action; the work in the middle (certificate renewal, an upgrade) is given.
 *
 * 1. etcd healthy (window-etcd-gate); 2. the node's backend draining on every haproxy, applied, and its sessions
 * ended or the drain timeout spent (window-drain-backend); 3. the VIP handed over if the node holds it and the work
 * stops its load balancer (kube-vip mode always: kube-vip restarts to read a renewed kubeconfig), and the node kept
 * from taking it back (window-move-vip); 4. the work (window-work); 5. the node's own apiserver healthy on its
 * own address and its etcd member healthy (window-wait-ready); 6. the backend active again everywhere, applied, and
 * the node allowed to hold the VIP again (window-restore-backend).
 *
 * A failure stops the action with the node left drained (nothing routes to it): running the same command again goes
 * through the window again from reality (a drained backend stays drained, a done work is skipped), and
 * window-restore-backend is what a rollback would run. The message says so.
 */
import type { PlannedNode } from '../../../core/plan.js';
import type { ClusterContext, ClusterView } from '../../workflow/ports.js';
import type { VipMoveTimeouts } from '../../workflow/vip-move.js';

export interface WindowWork {
  /** `certs-renew`, `upgrade`: names the work in progress lines. */
  readonly id: string;
  readonly title: string;
  /**
   * The work stops the node's keepalived and haproxy (or kube-vip): then a VIP holder hands the VIP over first. Work
   * that only restarts the control plane leaves the VIP where it is: its haproxy keeps forwarding to the other
   * apiservers, and a VIP move would cut every connection established through the holder (their TCP state lives in
   * its haproxy), the long-lived watches the window exists to keep.
   */
  readonly stopsLoadBalancer: boolean;
  /** Whether the node already has what the work gives it (decided from reality: a resumed action skips it). */
  done(ctx: WindowContext): Promise<boolean>;
  run(ctx: WindowContext): Promise<void>;
}

export interface WindowTimeouts extends VipMoveTimeouts {
  /** How long a drained backend's sessions may take to end before the work starts anyway. */
  readonly drainMs: number;
  /** How long the node's apiserver and etcd member may take to be healthy after the work. */
  readonly readyMs: number;
}

export const DEFAULT_WINDOW_TIMEOUTS: WindowTimeouts = { drainMs: 15_000, readyMs: 5 * 60_000, vipDrainMs: 10_000, vipMoveMs: 30_000 };

/** The defaults, with the coordinator's `--drain-timeout` when it was given. */
export function windowTimeoutsWith(drainMs: number | undefined): WindowTimeouts {
  return drainMs === undefined ? DEFAULT_WINDOW_TIMEOUTS : { ...DEFAULT_WINDOW_TIMEOUTS, drainMs };
}

export interface WindowView extends ClusterView {
  readonly target: PlannedNode;
}

export interface WindowContext extends ClusterContext, WindowView {
  readonly work: WindowWork;
  readonly windowTimeouts: WindowTimeouts;
  /** The phase of the action the window runs in: progress lines are reported under it, with the node. */
  readonly outerPhase: string;
}

export function say(ctx: WindowContext, step: string, message: string): void {
  ctx.emit({ kind: 'progress', phase: ctx.outerPhase, host: ctx.target.name, message: `${step}: ${message}` });
}

export function onTarget(view: WindowView, ...details: string[]) {
  return { hosts: [view.target.name], order: 'single' as const, details };
}
