/**
 * What the remove-node phases share: the cluster context of the stored spec plus the node being removed. Every phase
 * decides from the node's real state, so a removal that failed half-way continues where it stopped when
 * `coordinatorctl remove-node` runs again. reset runs the host-cleaning ones for every node, with its wider path list.
 */
import { LOAD_BALANCER_MANIFEST_NAMES, STOPPED_MANIFESTS_DIR } from '../../../core/host/paths.js';
import type { ClusterPlan, PlannedNode } from '../../../core/plan.js';
import { CLEANUP_SCRIPT_PATH, KNOWN_LB_PATHS } from '../../../core/render/cleanup.js';
import { KUBEADM_CONFIG_PATH, KUBEADM_OPS_CONFIG_PATH } from '../../../core/render/kubeadm-config.js';
import { loadBalancerPaths } from '../../../core/render/load-balancer.js';
import { LB_SPEC_PATH } from '../../../core/render/node-files.js';
import { loadBalancerAgents } from '../../workflow/host-tasks.js';
import type { ClusterContext, ClusterView } from '../../workflow/ports.js';

export interface RemoveTimeouts {
  /** How long keepalived elsewhere may take to pick the VIP up after the holder went to FAULT. */
  readonly vipMoveMs: number;
  /**
   * How long the holder lets connections open to the VIP finish before it lets go (new ones are held meanwhile).
   * Short requests finish in milliseconds; watches never do, and are cut at the end of it as by any failover.
   */
  readonly vipDrainMs: number;
  /** `kubectl drain` of the node (its pods' grace periods). */
  readonly kubectlDrainMs: number;
  /** kubelet stopping the load balancer's static pods once their manifests went (grace period 30 s + its sync loop). */
  readonly lbStopMs: number;
}

export const DEFAULT_REMOVE_TIMEOUTS: RemoveTimeouts = { vipMoveMs: 30_000, vipDrainMs: 10_000, kubectlDrainMs: 5 * 60_000, lbStopMs: 90_000 };

/** What a removal's phases can describe themselves from. */
export interface RemoveView extends ClusterView {
  /** The node leaving the cluster, as the stored spec plans it. */
  readonly target: PlannedNode;
}

export interface RemoveContext extends ClusterContext, RemoveView {
  readonly removeTimeouts: RemoveTimeouts;
  /** Every path of ours the node must not keep; removal and reset differ (reset also takes the host-prep files). */
  readonly paths?: readonly string[];
  /**
   * Stop the load balancer even when none of our files is left (reset): a keepalived run as a unit whose files went
   * would otherwise put the VIP back after remove-vip deleted it.
   */
  readonly alwaysStopLoadBalancer?: boolean;
  /** Drops the node from the stored spec (the desired state): the last step, after its host is clean. */
  readonly forgetInSpec: () => Promise<void>;
  /** Revokes the node's agent (registry, certificate, NATS user, session; a tombstone): with forgetInSpec, last. */
  readonly revokeAgent: () => Promise<void>;
  /** Whether remove-forget already revoked the node's agent (undefined: never, as in reset, which revokes after all hosts). */
  readonly targetRevoked?: () => Promise<boolean>;
}

/**
 * Whether the host-side phases are all done: remove-forget revokes the agent only after remove-verify proved the host
 * clean, so once it is revoked there is nothing left to do there, and no agent to ask (it cannot connect any more).
 */
export async function hostDone(ctx: RemoveContext): Promise<boolean> {
  return (await ctx.targetRevoked?.()) === true;
}

/** The load balancers a backend-set change waits for: every joined master's, the node's own unless it is revoked. */
export async function removalLoadBalancers(ctx: RemoveContext): Promise<string[]> {
  const agents = await loadBalancerAgents(ctx);
  return (await hostDone(ctx)) ? agents.filter((n) => n !== ctx.target.name) : agents;
}

/** The load balancer's manifests where the agent parks them once stopped. */
const STOPPED_MANIFESTS = LOAD_BALANCER_MANIFEST_NAMES.map((f) => `${STOPPED_MANIFESTS_DIR}/${f}`);

/**
 * Every file of ours a removed node must not keep: all load-balancer paths of any mode (a node may have been set up
 * under another mode), the parked manifests, the spec copy older agents rendered from, and the kubeadm configs.
 */
export function removalPaths(ctx: { readonly plan: ClusterPlan; readonly target: PlannedNode }): string[] {
  const lb = loadBalancerPaths({ plan: ctx.plan, node: ctx.target, interface: '' });
  return [...new Set([...KNOWN_LB_PATHS, ...lb, ...STOPPED_MANIFESTS, LB_SPEC_PATH, KUBEADM_CONFIG_PATH, KUBEADM_OPS_CONFIG_PATH, CLEANUP_SCRIPT_PATH])];
}

/** The paths this removal cleans and then proves gone. */
export function targetPaths(ctx: RemoveContext): readonly string[] {
  return ctx.paths ?? removalPaths(ctx);
}

export function progress(ctx: RemoveContext, phase: string, message: string, host = ctx.target.name): void {
  ctx.emit({ kind: 'progress', phase, host, message });
}

/** The one-host description most removal phases give. */
export function onTarget(view: RemoveView, ...details: string[]) {
  return { hosts: [view.target.name], order: 'single' as const, details };
}
