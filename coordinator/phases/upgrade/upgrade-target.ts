/**
 * What `coordinatorctl upgrade --to vX.Y.Z` works with: the target version, the nodes in the order they are upgraded
 * (control-plane nodes in plan order, then workers), how many workers at once, and a joined control-plane node to run
 * kubectl through for a given node (never the node itself, whose apiserver may be restarting).
 */
import type { PlannedNode } from '../../../core/plan.js';
import type { ClusterContext, ClusterView } from '../../workflow/ports.js';
import type { WindowTimeouts } from '../window/window-target.js';

export interface UpgradeView extends ClusterView {
  readonly target: string;
  /** Workers upgraded at once. */
  readonly workerBatch: number;
}

export interface UpgradeContext extends ClusterContext, UpgradeView {
  readonly windowTimeouts: WindowTimeouts;
  /** A checked etcd snapshot on the coordinator host; resolves to its path. */
  readonly takeSnapshot: () => Promise<string>;
}

export interface NodeRun {
  readonly kubeadm: string;
  readonly kubelet: string;
}

export async function versionsOf(ctx: Pick<ClusterContext, 'agents'>, node: string): Promise<NodeRun> {
  return ctx.agents.runTask(node, 'nodeVersions', {}, { timeoutMs: 30_000 });
}

/** A node is done when its kubelet, upgraded last, runs the target. */
export async function nodeDone(ctx: Pick<UpgradeContext, 'agents' | 'target'>, node: string): Promise<boolean> {
  return (await versionsOf(ctx, node)).kubelet === ctx.target;
}

/** Another control-plane node to run kubectl through, with its own apiserver as the server. */
export function kubectlRunner(ctx: Pick<UpgradeContext, 'plan' | 'spec'>, node: string): { runner: PlannedNode; server: string } {
  const runner = ctx.plan.controlPlane.find((n) => n.name !== node) ?? ctx.plan.controlPlane[0]!;
  return { runner, server: `https://${runner.address}:${ctx.spec.controlPlaneEndpoint.apiserverPort}` };
}

export const DRAIN_TIMEOUT_S = 300;
