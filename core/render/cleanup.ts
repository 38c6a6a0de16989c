/**
 * /etc/kubeadm-ha/cleanup.sh: the reverse of everything kubeadm-ha writes on a host, as a script the agent runs on
 * removal and an operator can run by hand when the agent is gone. Order matters, the reverse of the deploy:
 * `kubeadm reset -f` first, while this node's keepalived/haproxy still route the VIP to the other apiservers so the
 * etcd member removal reaches the cluster; then the load balancer; then the files; the VIP last, after keepalived has
 * exited (or it would add the VIP back) — seed 000: a VIP left on an interface breaks the next install.
 *
 * Files the host had before us are not ours to delete: the registry config.json, the kubelet unit and drop-in are
 * removed only when the renderer is told we wrote them. Sysctl values and loaded modules stay in effect until reboot;
 * only their persistence files go. /etc/fstab swap lines stay commented: swap is an operator decision.
 */
import { KUBELET_REGISTRY_AUTH_PATH, STATIC_POD_MANIFESTS_DIR } from '../host/paths.js';
import { KubeadmHaError } from '../errors.js';
import { controlPlaneNodes } from '../plan.js';
import { KUBEADM_CONFIG_PATH, KUBEADM_OPS_CONFIG_PATH } from './kubeadm-config.js';
import { KUBELET_DROP_IN_PATH, KUBELET_UNIT_PATH, MODULES_LOAD_PATH, SYSCTL_PATH, type WrittenHostFiles } from './host.js';
import { renderTemplate } from './template.js';
import { VIP_HANDOVER_NFT_FAMILY, VIP_HANDOVER_NFT_TABLE } from './vip-handover.js';
import type { RenderedFile, RenderTarget } from './types.js';

export const CLEANUP_SCRIPT_PATH = '/etc/kubeadm-ha/cleanup.sh';

/**
 * Every load-balancer path kubeadm-ha has ever written, whatever the load balancer and run mode: removing a file that
 * is not there costs nothing, missing one leaves a keepalived that fights the next install.
 */
export const KNOWN_LB_PATHS: readonly string[] = [
  '/etc/kubernetes/manifests/keepalived.yaml',
  '/etc/kubernetes/manifests/haproxy.yaml',
  '/etc/kubernetes/manifests/kube-vip.yaml',
  '/etc/keepalived/keepalived.conf',
  '/etc/keepalived/check_apiserver.sh',
  '/etc/keepalived/kubeadm-ha.track',
  '/etc/keepalived/kubeadm-ha-notify.sh',
  '/etc/keepalived/kubeadm-ha.state',
  '/etc/haproxy/haproxy.cfg',
];

export interface CleanupOptions {
  /** The load-balancer files of this node (load-balancer.ts's loadBalancerPaths(target)); merged with KNOWN_LB_PATHS. */
  readonly lbPaths: readonly string[];
  /** From renderHostFiles: which optional host files are ours. */
  readonly written: WrittenHostFiles;
  /** runAs systemd: the units to stop and disable; default keepalived + haproxy (or kube-vip). */
  readonly lbUnits?: readonly string[];
}

/** A single-quoted shell word: nothing inside is expanded. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function absolutePath(path: string): string {
  if (!path.startsWith('/') || path.includes('\n') || path.split('/').includes('..'))
    throw new KubeadmHaError(`cleanup: ${JSON.stringify(path)} is not an absolute path`);
  return path;
}

function defaultUnits(target: RenderTarget): string[] {
  const e = target.plan.spec.controlPlaneEndpoint;
  if (e.runAs !== 'systemd') return [];
  return e.loadBalancer === 'kube-vip' ? ['kube-vip.service'] : ['keepalived.service', 'haproxy.service'];
}

/** The paths the script removes, in order: static pod manifests first, then the other files. */
export function cleanupPaths(options: CleanupOptions): { staticPodManifests: string[]; files: string[] } {
  const lb = [...new Set([...KNOWN_LB_PATHS, ...options.lbPaths].map(absolutePath))];
  const staticPodManifests = lb.filter((p) => p.startsWith(`${STATIC_POD_MANIFESTS_DIR}/`));
  const files = [
    ...lb.filter((p) => !p.startsWith(`${STATIC_POD_MANIFESTS_DIR}/`)),
    ...(options.written.registryAuth ? [KUBELET_REGISTRY_AUTH_PATH] : []),
    ...(options.written.kubeletDropIn ? [KUBELET_DROP_IN_PATH] : []),
    ...(options.written.kubeletUnit ? [KUBELET_UNIT_PATH] : []),
    SYSCTL_PATH,
    MODULES_LOAD_PATH,
    KUBEADM_OPS_CONFIG_PATH,
    KUBEADM_CONFIG_PATH,
  ];
  return { staticPodManifests, files };
}

export function renderCleanupScript(target: RenderTarget, options: CleanupOptions): RenderedFile {
  const spec = target.plan.spec;
  const { staticPodManifests, files } = cleanupPaths(options);
  const units = options.lbUnits ?? (controlPlaneNodes(spec).some((n) => n.name === target.node.name) ? defaultUnits(target) : []);
  for (const unit of units) {
    if (!/^[A-Za-z0-9@._:-]+$/.test(unit)) throw new KubeadmHaError(`cleanup: ${JSON.stringify(unit)} is not a systemd unit name`);
  }
  const content = renderTemplate('host/cleanup.sh.hbs', {
    nodeName: target.node.name,
    clusterName: spec.name,
    vip: shellQuote(spec.controlPlaneEndpoint.vip),
    criSocket: shellQuote(spec.kubernetes.criSocket),
    staticPodManifests: staticPodManifests.map(shellQuote),
    units: units.map(shellQuote),
    files: files.map(shellQuote),
    reloadSystemd: options.written.kubeletDropIn || options.written.kubeletUnit,
    handoverTable: `${VIP_HANDOVER_NFT_FAMILY} ${VIP_HANDOVER_NFT_TABLE}`,
  });
  return { path: CLEANUP_SCRIPT_PATH, mode: 0o700, content };
}
