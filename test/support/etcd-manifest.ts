/** kubeadm v1.31's etcd.yaml for one node, as the simulator renders it: for unit tests of what reads it. */
import { renderEtcdManifest } from '../kubeadm-sim/render.js';

export function kubeadmEtcdManifest(over: { name?: string; address?: string; dataDir?: string } = {}): string {
  const address = over.address ?? '198.18.0.11';
  const name = over.name ?? 'master-0';
  return renderEtcdManifest({
    nodeName: name,
    advertiseAddress: address,
    bindPort: 6443,
    kubernetesVersion: 'v1.31.0',
    imageRepository: 'registry.k8s.io',
    serviceSubnet: '10.96.0.0/12',
    podSubnet: '10.244.0.0/16',
    certificatesDir: '/etc/kubernetes/pki',
    etcdDataDir: over.dataDir ?? '/var/lib/etcd',
    apiServerExtraArgs: [],
    etcdExtraArgs: [],
    etcdInitialCluster: [`${name}=https://${address}:2380`],
    etcdInitialClusterState: 'new',
  });
}
