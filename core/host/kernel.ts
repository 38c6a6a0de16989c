/** What kube-proxy (ipvs), kubelet and the CNI need from the kernel, per seed 000 and the kubeadm install guide. */
export const KERNEL_MODULES = ['ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'ip_vs_sh', 'br_netfilter', 'nf_conntrack'] as const;
/** Kernels before 4.19 call it nf_conntrack_ipv4. */
export const CONNTRACK_FALLBACK = 'nf_conntrack_ipv4';
export const IPVS_MODULES: readonly string[] = ['ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'ip_vs_sh', 'nf_conntrack'];

export const SYSCTLS: Readonly<Record<string, string>> = {
  'net.ipv4.ip_forward': '1',
  'net.bridge.bridge-nf-call-iptables': '1',
  'net.bridge.bridge-nf-call-ip6tables': '1',
};

export const MODULES_LOAD_PATH = '/etc/modules-load.d/kubeadm-ha.conf';
export const SYSCTL_PATH = '/etc/sysctl.d/99-kubeadm-ha.conf';

/** Ports a node's Kubernetes components bind, which must be free before kubeadm runs. */
export function requiredPorts(opts: { isControlPlane: boolean; apiserverPort: number; lbPort?: number }): number[] {
  const worker = [10250];
  if (!opts.isControlPlane) return worker;
  return [opts.apiserverPort, ...(opts.lbPort !== undefined ? [opts.lbPort] : []), 2379, 2380, 10257, 10259, ...worker];
}
