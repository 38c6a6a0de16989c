/**
 * Every file a node gets, grouped by when the deploy writes them: host preparation, the load balancer, and the
 * kubeadm config. `renderNodeFiles` is all of them at once, for `coordinatorctl render`.
 */
import type { BackendSet } from '../backend-set.js';
import type { JoinCredentials } from '../kubeadm/tokens.js';
import type { ClusterPlan, PlannedNode } from '../plan.js';
import { renderCleanupScript } from './cleanup.js';
import { renderHostFiles, type WrittenHostFiles } from './host.js';
import { KUBEADM_OPS_CONFIG_PATH, renderKubeadmConfig, renderKubeadmOpsConfig } from './kubeadm-config.js';
import { loadBalancerPaths, renderLoadBalancerFiles, type LoadBalancerPhase } from './load-balancer.js';
import type { RenderedFile, RenderTarget } from './types.js';

export type { JoinCredentials };
export { KUBEADM_OPS_CONFIG_PATH };

export interface HostPrepOptions {
  /** kubelet came from a tarball, not a package: it needs the kubeadm drop-in. */
  readonly kubeletDropIn: boolean;
  readonly registryConfigJson?: string;
  readonly registryConfigSource?: string;
}

function target(plan: ClusterPlan, node: PlannedNode, iface = ''): RenderTarget {
  return { plan, node, interface: iface };
}

function hostFiles(plan: ClusterPlan, node: PlannedNode, options: HostPrepOptions): { files: RenderedFile[]; written: WrittenHostFiles } {
  return renderHostFiles(target(plan, node), {
    kubelet: { installedByPackageManager: !options.kubeletDropIn },
    ...(options.registryConfigJson !== undefined
      ? { registryAuth: { source: options.registryConfigSource ?? 'registryAuth.configJson', text: options.registryConfigJson } }
      : {}),
  });
}

/** Registry credentials for kubelet and the kubelet drop-in; modules and sysctls are the agent's preflight. */
export function hostPrepFiles(plan: ClusterPlan, node: PlannedNode, options: HostPrepOptions): RenderedFile[] {
  return hostFiles(plan, node, options).files;
}

/** Defined with the other host paths; re-exported for the removal phases that import it from here. */
export { LB_SPEC_PATH } from '../host/paths.js';

/** keepalived + haproxy (or kube-vip) for a control-plane node, with haproxy listing `backends`; nothing for workers. */
export function loadBalancerFiles(
  plan: ClusterPlan,
  node: PlannedNode,
  iface: string,
  backends?: BackendSet,
  options: { phase?: LoadBalancerPhase } = {},
): RenderedFile[] {
  return renderLoadBalancerFiles(target(plan, node, iface), {
    ...(backends ? { backends: backends.backends, backendVersion: backends.version } : {}),
    ...options,
  });
}

export function kubeadmConfigFile(plan: ClusterPlan, node: PlannedNode, options: { joinCredentials?: JoinCredentials }): RenderedFile {
  return renderKubeadmConfig(target(plan, node), options.joinCredentials ? { join: options.joinCredentials } : {});
}

/**
 * kubeadm refuses `--certificate-key` and `--ttl` next to `--config`, and without a config it would look the version up
 * on the internet; so the fresh key and the token TTL go into an InitConfiguration of the node that runs the commands.
 */
export function kubeadmOpsConfigFile(plan: ClusterPlan, runner: PlannedNode, options: { certificateKey?: string; tokenTtlMs: number }): RenderedFile {
  return renderKubeadmOpsConfig(target(plan, runner), {
    bootstrapTokenTtlMs: options.tokenTtlMs,
    ...(options.certificateKey ? { certificateKey: options.certificateKey } : {}),
  });
}

export interface NodeRenderInputs extends HostPrepOptions {
  readonly interface: string;
}

/** All of a node's files, as an offline render shows them (join credentials as placeholders). */
export function renderNodeFiles(plan: ClusterPlan, node: PlannedNode, inputs: NodeRenderInputs): RenderedFile[] {
  const host = hostFiles(plan, node, inputs);
  const lb = node.role === 'control-plane' ? loadBalancerFiles(plan, node, inputs.interface) : [];
  const cleanup = renderCleanupScript(target(plan, node, inputs.interface), {
    lbPaths: node.role === 'control-plane' ? loadBalancerPaths(target(plan, node, inputs.interface)) : [],
    written: host.written,
  });
  return [...host.files, ...lb, kubeadmConfigFile(plan, node, {}), cleanup];
}
