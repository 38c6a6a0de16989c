/**
 * The keepalived and haproxy static pods (runAs: static-pod). They are placed in /etc/kubernetes/manifests before
 * kubeadm init/join, which is why joins pass --ignore-preflight-errors=DirAvailable--etc-kubernetes-manifests.
 */
import { HAPROXY_CFG_PATH, KEEPALIVED_CONF_PATH, STATIC_POD_MANIFESTS_DIR } from '../host/paths.js';
import { KubeadmHaError } from '../errors.js';
import { HAPROXY_DIR, HAPROXY_HEALTHZ_PATH, HAPROXY_HEALTHZ_PORT, HAPROXY_MASTER_SOCKET, HAPROXY_RUN_DIR } from './haproxy.js';
import { KEEPALIVED_DIR, vrrpRealtimePriority } from './keepalived.js';
import { renderTemplate } from './template.js';
import type { RenderTarget, RenderedFile } from './types.js';

export const KEEPALIVED_MANIFEST_PATH = `${STATIC_POD_MANIFESTS_DIR}/keepalived.yaml`;
export const HAPROXY_MANIFEST_PATH = `${STATIC_POD_MANIFESTS_DIR}/haproxy.yaml`;
/** Like kubeadm's own manifests. */
export const STATIC_POD_MODE = 0o600;

export interface LoadBalancerImages {
  readonly keepalived: string;
  readonly haproxy: string;
}

/**
 * Public defaults, overridable per call. They are not moved under `kubernetes.imageRepository`: that names a mirror
 * of registry.k8s.io, which carries neither image, so prefixing it would produce names that do not exist. Clusters
 * with a private registry pass their own references.
 * - haproxy: the Docker official image, 2.8 LTS; the configuration uses nothing newer than haproxy 2.6.
 * - keepalived: osixia/keepalived, the image Kubernetes' HA documentation shows, at its last release (keepalived
 *   2.0.20); the static-pod keepalived.conf therefore uses the 2.0-compatible `vrrp_track_file` spelling.
 */
export const DEFAULT_LOAD_BALANCER_IMAGES: LoadBalancerImages = Object.freeze({
  keepalived: 'docker.io/osixia/keepalived:2.0.20',
  haproxy: 'docker.io/library/haproxy:2.8',
});

function requireControlPlane(target: RenderTarget, what: string): void {
  if (target.node.role !== 'control-plane') throw new KubeadmHaError(`${what} runs only on control-plane nodes; ${target.node.name} is a ${target.node.role}`);
}

export function renderKeepalivedManifest(target: RenderTarget, images: LoadBalancerImages = DEFAULT_LOAD_BALANCER_IMAGES): string {
  requireControlPlane(target, 'keepalived');
  return renderTemplate('manifests/keepalived.yaml.hbs', {
    clusterName: target.plan.spec.name,
    nodeName: target.node.name,
    image: images.keepalived,
    useFileArgument: `--use-file=${KEEPALIVED_CONF_PATH}`,
    configDir: KEEPALIVED_DIR,
    realtime: vrrpRealtimePriority(target.plan.spec) !== undefined,
  });
}

export function renderHaproxyManifest(target: RenderTarget, images: LoadBalancerImages = DEFAULT_LOAD_BALANCER_IMAGES): string {
  requireControlPlane(target, 'haproxy');
  return renderTemplate('manifests/haproxy.yaml.hbs', {
    clusterName: target.plan.spec.name,
    nodeName: target.node.name,
    image: images.haproxy,
    configPath: HAPROXY_CFG_PATH,
    configDir: HAPROXY_DIR,
    runDir: HAPROXY_RUN_DIR,
    masterSocketArgument: `${HAPROXY_MASTER_SOCKET},mode,600`,
    healthzPort: HAPROXY_HEALTHZ_PORT,
    healthzPath: HAPROXY_HEALTHZ_PATH,
  });
}

export function renderLoadBalancerStaticPods(target: RenderTarget, images: LoadBalancerImages = DEFAULT_LOAD_BALANCER_IMAGES): RenderedFile[] {
  return [
    { path: KEEPALIVED_MANIFEST_PATH, mode: STATIC_POD_MODE, content: renderKeepalivedManifest(target, images) },
    { path: HAPROXY_MANIFEST_PATH, mode: STATIC_POD_MODE, content: renderHaproxyManifest(target, images) },
  ];
}
