/**
 * Entry point for a node's load-balancer files, by spec.controlPlaneEndpoint.loadBalancer and runAs, and the
 * cleanup counterpart: every path those renderers (and the daemons they configure) leave on a host.
 */
import { HAPROXY_CFG_PATH, KEEPALIVED_CONF_PATH } from '../host/paths.js';
import { renderHaproxyFiles, type HaproxyBackend } from './haproxy.js';
import {
  KEEPALIVED_CHECK_SCRIPT_PATH,
  KEEPALIVED_NOTIFY_SCRIPT_PATH,
  KEEPALIVED_STATE_FILE_PATH,
  KEEPALIVED_TRACK_FILE_PATH,
  renderKeepalivedFiles,
} from './keepalived.js';
import { KUBE_VIP_MANIFEST_PATH, renderKubeVipFiles, type KubeVipPhase } from './kube-vip.js';
import {
  DEFAULT_LOAD_BALANCER_IMAGES,
  HAPROXY_MANIFEST_PATH,
  KEEPALIVED_MANIFEST_PATH,
  renderLoadBalancerStaticPods,
  type LoadBalancerImages,
} from './static-pods.js';
import type { RenderTarget, RenderedFile } from './types.js';

/** Only kube-vip differs by phase: see {@link KubeVipPhase}. */
export type LoadBalancerPhase = KubeVipPhase;

export interface LoadBalancerRenderOptions {
  /** `init` for master0's files written before kubeadm init; `steady` (the default) otherwise. */
  readonly phase?: LoadBalancerPhase;
  /** haproxy's servers: the published backend set. Default: every control-plane node, active. */
  readonly backends?: readonly HaproxyBackend[];
  /** The version of that backend set, recorded in haproxy.cfg. */
  readonly backendVersion?: number;
  readonly images?: Partial<LoadBalancerImages & { kubeVip: string }>;
}

/**
 * - keepalived-haproxy + static-pod: keepalived.conf, check_apiserver.sh, haproxy.cfg and both static pods;
 * - keepalived-haproxy + systemd: the three configuration files (the distribution's daemons run them);
 * - kube-vip: its static pod only;
 * - workers: nothing.
 */
export function renderLoadBalancerFiles(target: RenderTarget, options: LoadBalancerRenderOptions = {}): RenderedFile[] {
  if (target.node.role !== 'control-plane') return [];
  const endpoint = target.plan.spec.controlPlaneEndpoint;
  if (endpoint.loadBalancer === 'kube-vip')
    return renderKubeVipFiles(target, { phase: options.phase ?? 'steady', ...(options.images?.kubeVip ? { image: options.images.kubeVip } : {}) });
  const files = [...renderKeepalivedFiles(target), ...renderHaproxyFiles(target, options.backends, options.backendVersion)];
  if (endpoint.runAs === 'static-pod') files.push(...renderLoadBalancerStaticPods(target, { ...DEFAULT_LOAD_BALANCER_IMAGES, ...options.images }));
  return files;
}

/**
 * Every path any load-balancer mode writes on a node, whatever the current spec says: a node may have been set up
 * under another mode or role before, and removing a file that is not there is harmless. Includes the track file,
 * which keepalived (init_file) and the agent create, and the state file keepalived's notify script writes.
 */
export const LOAD_BALANCER_PATHS: readonly string[] = Object.freeze([
  KEEPALIVED_CONF_PATH,
  KEEPALIVED_CHECK_SCRIPT_PATH,
  KEEPALIVED_TRACK_FILE_PATH,
  KEEPALIVED_NOTIFY_SCRIPT_PATH,
  KEEPALIVED_STATE_FILE_PATH,
  HAPROXY_CFG_PATH,
  KEEPALIVED_MANIFEST_PATH,
  HAPROXY_MANIFEST_PATH,
  KUBE_VIP_MANIFEST_PATH,
]);

export function loadBalancerPaths(_target: RenderTarget): string[] {
  return [...LOAD_BALANCER_PATHS];
}
