/**
 * kube-vip (loadBalancer: kube-vip): one static pod per control-plane node holding the VIP in ARP mode, with leader
 * election over a Lease. It only moves the address; clients reach kube-apiserver on the VIP at apiserverPort.
 */
import { STATIC_POD_MANIFESTS_DIR } from '../host/paths.js';
import { KubeadmHaError } from '../errors.js';
import ipaddr from 'ipaddr.js';
import type { ClusterSpec } from '../spec.js';
import { INTERFACE_RE } from './keepalived.js';
import { STATIC_POD_MODE } from './static-pods.js';
import { renderTemplate } from './template.js';
import type { RenderTarget, RenderedFile } from './types.js';

export const KUBE_VIP_MANIFEST_PATH = `${STATIC_POD_MANIFESTS_DIR}/kube-vip.yaml`;
/** v1.x reads `kubernetes_addr`, which replaces the hostAliases trick that static pods do not honour. */
export const DEFAULT_KUBE_VIP_IMAGE = 'ghcr.io/kube-vip/kube-vip:v1.2.2';
export const ADMIN_KUBECONFIG = '/etc/kubernetes/admin.conf';
export const SUPER_ADMIN_KUBECONFIG = '/etc/kubernetes/super-admin.conf';
/** kube-vip reads its kubeconfig from this path inside the container; only the host side changes. */
const KUBECONFIG_IN_CONTAINER = ADMIN_KUBECONFIG;
/** kube-vip's own lease defaults: a dead leader loses the VIP within about 5 s. */
export const KUBE_VIP_LEASE = Object.freeze({ name: 'plndr-cp-lock', durationSeconds: 5, renewDeadlineSeconds: 3, retryPeriodSeconds: 1 });

/**
 * `init`: the manifest placed on master0 before `kubeadm init`. `steady`: every other time. The coordinator renders
 * `init` for the load-balancer phase on master0 and re-renders `steady` once init has finished.
 */
export type KubeVipPhase = 'init' | 'steady';

/** kubeadm 1.29 split super-admin.conf out of admin.conf; admin.conf's RBAC binding only exists once the apiserver runs. */
export function hasSuperAdminConf(spec: ClusterSpec): boolean {
  const v = spec.kubernetes.versionInfo;
  return v.major > 1 || (v.major === 1 && v.minor >= 29);
}

/** The host kubeconfig kube-vip mounts: super-admin.conf only on the init node, during init, on Kubernetes ≥ 1.29. */
export function kubeVipKubeconfigHostPath(target: RenderTarget, phase: KubeVipPhase): string {
  return phase === 'init' && target.node.isInitNode && hasSuperAdminConf(target.plan.spec) ? SUPER_ADMIN_KUBECONFIG : ADMIN_KUBECONFIG;
}

function hostPort(address: string, port: number): string {
  return ipaddr.parse(address).kind() === 'ipv6' ? `[${address}]:${port}` : `${address}:${port}`;
}

export function renderKubeVipManifest(target: RenderTarget, options: { phase: KubeVipPhase; image?: string }): string {
  const { plan, node } = target;
  const spec = plan.spec;
  const endpoint = spec.controlPlaneEndpoint;
  if (node.role !== 'control-plane') throw new KubeadmHaError(`kube-vip runs only on control-plane nodes; ${node.name} is a ${node.role}`);
  if (!INTERFACE_RE.test(target.interface)) throw new KubeadmHaError(`${node.name}: "${target.interface}" is not an interface name for the VIP`);
  const prefixLength = endpoint.vipPrefixLength ?? (endpoint.vipFamily === 'ipv4' ? 32 : 128);
  const kubeconfigHostPath = kubeVipKubeconfigHostPath(target, options.phase);
  const env: { name: string; value: string }[] = [
    { name: 'vip_arp', value: 'true' },
    { name: 'address', value: endpoint.vip },
    { name: 'vip_subnet', value: String(prefixLength) },
    { name: 'port', value: String(endpoint.apiserverPort) },
    { name: 'vip_interface', value: target.interface },
    { name: 'vip_nodename', value: node.name },
    { name: 'cp_enable', value: 'true' },
    { name: 'cp_namespace', value: 'kube-system' },
    { name: 'svc_enable', value: 'false' },
    { name: 'vip_leaderelection', value: 'true' },
    { name: 'vip_leasename', value: KUBE_VIP_LEASE.name },
    { name: 'vip_leaseduration', value: String(KUBE_VIP_LEASE.durationSeconds) },
    { name: 'vip_renewdeadline', value: String(KUBE_VIP_LEASE.renewDeadlineSeconds) },
    { name: 'vip_retryperiod', value: String(KUBE_VIP_LEASE.retryPeriodSeconds) },
    // This node's apiserver by address: its serving certificate always carries the advertise address.
    { name: 'kubernetes_addr', value: hostPort(node.address, endpoint.apiserverPort) },
    // Metrics on loopback only; the default listens on every address of a control-plane node.
    { name: 'prometheus_server', value: '127.0.0.1:2112' },
  ];
  return renderTemplate('manifests/kube-vip.yaml.hbs', {
    clusterName: spec.name,
    nodeName: node.name,
    superAdmin: kubeconfigHostPath === SUPER_ADMIN_KUBECONFIG,
    image: options.image ?? DEFAULT_KUBE_VIP_IMAGE,
    env,
    kubeconfigMountPath: KUBECONFIG_IN_CONTAINER,
    kubeconfigHostPath,
  });
}

export function renderKubeVipFiles(target: RenderTarget, options: { phase: KubeVipPhase; image?: string }): RenderedFile[] {
  return [{ path: KUBE_VIP_MANIFEST_PATH, mode: STATIC_POD_MODE, content: renderKubeVipManifest(target, options) }];
}
