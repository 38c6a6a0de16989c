/**
 * What the remove-node phases share: the deploy context of the stored spec (plan, agents, node records, backend
 * publisher) plus the node being removed. Every phase decides from the node's real state, so a removal that failed
 * half-way continues where it stopped when `coordinatorctl remove-node` runs again.
 */
import type { PlannedNode } from '../../core/plan.js';
import { KNOWN_LB_PATHS, CLEANUP_SCRIPT_PATH } from '../../core/render/cleanup.js';
import { KUBEADM_CONFIG_PATH, KUBEADM_OPS_CONFIG_PATH } from '../../core/render/kubeadm-config.js';
import { loadBalancerPaths } from '../../core/render/load-balancer.js';
import { LB_SPEC_PATH } from '../../core/render/node-files.js';
import type { DeployContext } from '../deploy/context.js';

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

export interface RemoveContext extends DeployContext {
  /** The node leaving the cluster, as the stored spec plans it. */
  readonly target: PlannedNode;
  readonly removeTimeouts: RemoveTimeouts;
  /** Drops the node from the stored spec (the desired state): the last step, after its host is clean. */
  readonly forgetInSpec: () => Promise<void>;
}

/** Where the agent parks static-pod manifests it stopped (agent/tasks/load-balancer.ts STOPPED_MANIFESTS_DIR). */
const STOPPED_MANIFESTS = ['keepalived.yaml', 'haproxy.yaml', 'kube-vip.yaml'].map((f) => `/etc/kubeadm-ha/stopped-manifests/${f}`);

/**
 * Every file of ours a removed node must not keep: all load-balancer paths of any mode (a node may have been set up
 * under another mode), the parked manifests, the spec copy the LB agent renders from, and the kubeadm configs.
 */
export function removalPaths(ctx: Pick<RemoveContext, 'plan' | 'target'>): string[] {
  const lb = loadBalancerPaths({ plan: ctx.plan, node: ctx.target, interface: '' });
  return [...new Set([...KNOWN_LB_PATHS, ...lb, ...STOPPED_MANIFESTS, LB_SPEC_PATH, KUBEADM_CONFIG_PATH, KUBEADM_OPS_CONFIG_PATH, CLEANUP_SCRIPT_PATH])];
}

/** The joined control-plane nodes: every one of them runs a load balancer that must apply each backend change. */
export async function loadBalancerAgents(ctx: Pick<DeployContext, 'plan' | 'cluster'>): Promise<string[]> {
  const out: string[] = [];
  for (const node of ctx.plan.controlPlane) if ((await ctx.cluster.node(node.name))?.joined) out.push(node.name);
  return out;
}

/** How the node holds the VIP right now (`vip/len on if`), empty when it does not. */
export async function vipHeldBy(ctx: Pick<DeployContext, 'agents' | 'spec'>, node: string): Promise<string[]> {
  const result = await ctx.agents.runTask(node, 'verifyClean', { paths: [], vip: ctx.spec.controlPlaneEndpoint.vip });
  return result.leftovers.filter((l) => l.kind === 'vip').map((l) => l.detail);
}

export function progress(ctx: RemoveContext, phase: string, message: string, host = ctx.target.name): void {
  ctx.emit({ kind: 'progress', phase, host, message });
}
