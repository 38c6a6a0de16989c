/**
 * Small builders for the typed tasks phases send, and the read-only questions they ask hosts, so phases read as
 * what they do. Every one goes through the AgentGateway: the agent decides what it may touch (its allow-list).
 */
import { KubeadmHaError } from '../../core/errors.js';
import {
  ADMIN_KUBECONFIG_PATH,
  ETCD_MANIFEST_PATH,
  KUBE_APISERVER_MANIFEST_PATH,
  KUBELET_CONFIG_PATH,
  KUBELET_KUBECONFIG_PATH,
} from '../../core/host/paths.js';
import { checkHostWrite } from '../../core/host/owned-paths.js';
import type { PlannedNode } from '../../core/plan.js';
import type { RenderedFile } from '../../core/render/types.js';
import type { ClusterSpec } from '../../core/spec.js';
import type { TaskArgs } from '../../proto/index.js';
import type { AgentGateway, ClusterContext, ClusterProgress, RunTaskOptions } from './ports.js';

/**
 * The agent refuses any path off its allow-list and any unsafe mode (core/host/owned-paths.ts); checking here too
 * makes a renderer that drifts off the list fail before a task leaves, with the same error.
 */
export function writeFilesArgs(files: readonly RenderedFile[], removePaths: readonly string[] = []): TaskArgs['writeFiles'] {
  checkHostWrite(files, removePaths);
  return {
    files: files.map((f) => ({ path: f.path, mode: f.mode, content: Buffer.from(f.content, 'utf8') })),
    removePaths: [...removePaths],
  };
}

/** Async, so a refused path rejects like a failed task (callers `.catch` both). */
export async function writeFiles(
  agents: AgentGateway,
  agent: string,
  files: readonly RenderedFile[],
  removePaths: readonly string[] = [],
  options?: RunTaskOptions,
) {
  return agents.runTask(agent, 'writeFiles', writeFilesArgs(files, removePaths), options);
}

/** What a kubeadm init or join leaves; none of it after `kubeadm reset -f`. */
export const KUBEADM_TRACES: readonly string[] = [
  KUBELET_KUBECONFIG_PATH,
  ADMIN_KUBECONFIG_PATH,
  ETCD_MANIFEST_PATH,
  KUBE_APISERVER_MANIFEST_PATH,
  KUBELET_CONFIG_PATH,
];

/** Which of `paths` exist on the agent's host (VerifyClean reports what is left). */
export async function existingPaths(agents: AgentGateway, agent: string, paths: readonly string[], options?: RunTaskOptions): Promise<string[]> {
  const result = await agents.runTask(agent, 'verifyClean', { paths: [...paths], vip: '' }, options);
  return result.leftovers.filter((l) => l.kind === 'file').map((l) => l.detail);
}

/** How the node holds the VIP right now (`vip/len on if`), empty when it does not. */
export async function vipHeldBy(ctx: Pick<ClusterContext, 'agents' | 'spec'>, node: string, options?: RunTaskOptions): Promise<string[]> {
  const result = await ctx.agents.runTask(node, 'verifyClean', { paths: [], vip: ctx.spec.controlPlaneEndpoint.vip }, options);
  return result.leftovers.filter((l) => l.kind === 'vip').map((l) => l.detail);
}

/**
 * Stops the node's load balancer the way the spec runs it and waits, up to `waitTimeoutMs`, until the container
 * runtime runs none of it: keepalived must be gone before its VIP is deleted, or it adds the VIP back.
 */
export function stopLoadBalancerAndWait(agents: AgentGateway, agent: string, spec: ClusterSpec, waitTimeoutMs: number, onProgress: (line: string) => void) {
  return agents.runTask(
    agent,
    'stopLoadBalancer',
    { criSocket: spec.kubernetes.criSocket, waitTimeoutMs, runAs: spec.controlPlaneEndpoint.runAs },
    { onProgress, timeoutMs: waitTimeoutMs + 30_000 },
  );
}

/** The nodes among `nodes` that the cluster's records do not show as joined yet, in the given order. */
export async function notJoined(ctx: { readonly cluster: ClusterProgress }, nodes: readonly PlannedNode[]): Promise<PlannedNode[]> {
  // One KV read per node, all at once: a hundred workers read one after another were ~200 ms on the deploy's path.
  const joined = await Promise.all(nodes.map(async (node) => (await ctx.cluster.node(node.name))?.joined === true));
  return nodes.filter((_, i) => !joined[i]);
}

/** The joined control-plane nodes: every one of them runs a load balancer that must apply each backend change. */
export async function loadBalancerAgents(ctx: Pick<ClusterContext, 'plan' | 'cluster'>): Promise<string[]> {
  const out: string[] = [];
  for (const node of ctx.plan.controlPlane) if ((await ctx.cluster.node(node.name))?.joined) out.push(node.name);
  return out;
}

/** A joined control-plane node other than `exclude`: where kubeadm token, upload-certs and kubectl run. */
export async function joinedControlPlane(ctx: Pick<ClusterContext, 'plan' | 'cluster'>, exclude?: string): Promise<PlannedNode | undefined> {
  for (const node of ctx.plan.controlPlane) {
    if (node.name === exclude) continue;
    if ((await ctx.cluster.node(node.name))?.joined) return node;
  }
  return undefined;
}

/** The interface that carries the node's address: the spec's, or the one its agent reported. */
export function nodeInterface(ctx: Pick<ClusterContext, 'agents'>, node: PlannedNode): string {
  if (node.interface) return node.interface;
  const facts = ctx.agents.facts(node.name);
  const found = facts?.addresses.find((a) => a.address === node.address)?.interface;
  if (!found) throw new KubeadmHaError(`no interface carries ${node.address}; set spec.nodes[].interface or fix the node address`, { host: node.name });
  return found;
}
