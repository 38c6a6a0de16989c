/** Small builders for the typed tasks the deploy sends, so phases read as what they do. */
import type { RenderedFile } from '../../core/render/types.js';
import type { ClusterSpec } from '../../core/spec.js';
import type { TaskArgs } from '../../proto/index.js';
import type { AgentGateway, RunTaskOptions } from './context.js';

export function writeFilesArgs(files: readonly RenderedFile[], removePaths: readonly string[] = []): TaskArgs['writeFiles'] {
  return {
    files: files.map((f) => ({ path: f.path, mode: f.mode, content: Buffer.from(f.content, 'utf8') })),
    removePaths: [...removePaths],
  };
}

export function writeFiles(agents: AgentGateway, agent: string, files: readonly RenderedFile[], removePaths: readonly string[] = [], options?: RunTaskOptions) {
  return agents.runTask(agent, 'writeFiles', writeFilesArgs(files, removePaths), options);
}

/** kubeadm writes it on init and join: its presence means the node is part of a cluster. */
export const KUBELET_CONF = '/etc/kubernetes/kubelet.conf';

/** Which of `paths` exist on the agent's host (VerifyClean reports what is left). */
export async function existingPaths(agents: AgentGateway, agent: string, paths: readonly string[], options?: RunTaskOptions): Promise<string[]> {
  const result = await agents.runTask(agent, 'verifyClean', { paths: [...paths], vip: '' }, options);
  return result.leftovers.filter((l) => l.kind === 'file').map((l) => l.detail);
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
