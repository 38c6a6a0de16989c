import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { prefixEnd } from './etcd-client.js';
import { isManagedKey, registryObjects, stateFromRegistry } from './registry.js';
import { renderEtcdManifest, type ControlPlaneInput } from './render.js';
import type { ClusterState } from './state.js';

const input: ControlPlaneInput = {
  nodeName: 'master-1',
  advertiseAddress: '198.18.0.12',
  bindPort: 6443,
  kubernetesVersion: 'v1.31.4',
  imageRepository: 'registry.k8s.io',
  serviceSubnet: '10.96.0.0/12',
  podSubnet: '',
  certificatesDir: '/etc/kubernetes/pki',
  etcdDataDir: '/var/lib/etcd',
  apiServerExtraArgs: [],
  etcdExtraArgs: [],
  etcdInitialCluster: ['master-0=https://198.18.0.11:2380', 'master-1=https://198.18.0.12:2380'],
  etcdInitialClusterState: 'existing',
};

describe('etcd.yaml as kubeadm v1.31 writes it', () => {
  it('has the real flags, volumes and probes', () => {
    const pod = parse(renderEtcdManifest(input)) as {
      metadata: { annotations: Record<string, string> };
      spec: {
        containers: {
          command: string[];
          image: string;
          livenessProbe: { httpGet: { host: string; path: string; port: number } };
          startupProbe: { failureThreshold: number };
          volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
        }[];
        hostNetwork: boolean;
        volumes: { name: string; hostPath: { path: string; type: string } }[];
      };
    };
    const c = pod.spec.containers[0]!;
    expect(c.command).toEqual([
      'etcd',
      '--advertise-client-urls=https://198.18.0.12:2379',
      '--cert-file=/etc/kubernetes/pki/etcd/server.crt',
      '--client-cert-auth=true',
      '--data-dir=/var/lib/etcd',
      '--experimental-initial-corrupt-check=true',
      '--experimental-watch-progress-notify-interval=5s',
      '--initial-advertise-peer-urls=https://198.18.0.12:2380',
      '--initial-cluster=master-0=https://198.18.0.11:2380,master-1=https://198.18.0.12:2380',
      '--initial-cluster-state=existing',
      '--key-file=/etc/kubernetes/pki/etcd/server.key',
      '--listen-client-urls=https://127.0.0.1:2379,https://198.18.0.12:2379',
      '--listen-metrics-urls=http://127.0.0.1:2381',
      '--listen-peer-urls=https://198.18.0.12:2380',
      '--name=master-1',
      '--peer-cert-file=/etc/kubernetes/pki/etcd/peer.crt',
      '--peer-client-cert-auth=true',
      '--peer-key-file=/etc/kubernetes/pki/etcd/peer.key',
      '--peer-trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt',
      '--snapshot-count=10000',
      '--trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt',
    ]);
    expect(c.image).toBe('registry.k8s.io/etcd:3.5.15-0');
    expect(c.livenessProbe.httpGet).toEqual({ host: '127.0.0.1', path: '/health?exclude=NOSPACE&serializable=true', port: 2381, scheme: 'HTTP' });
    expect(c.startupProbe.failureThreshold).toBe(24);
    expect(c.volumeMounts).toEqual([
      { mountPath: '/var/lib/etcd', name: 'etcd-data' },
      { mountPath: '/etc/kubernetes/pki/etcd', name: 'etcd-certs' },
    ]);
    expect(pod.spec.volumes).toEqual([
      { hostPath: { path: '/etc/kubernetes/pki/etcd', type: 'DirectoryOrCreate' }, name: 'etcd-certs' },
      { hostPath: { path: '/var/lib/etcd', type: 'DirectoryOrCreate' }, name: 'etcd-data' },
    ]);
    expect(pod.spec.hostNetwork).toBe(true);
    expect(pod.metadata.annotations['kubeadm.kubernetes.io/etcd.advertise-client-urls']).toBe('https://198.18.0.12:2379');
  });

  it('leaves --initial-cluster-state out for init', () => {
    const text = renderEtcdManifest({ ...input, etcdInitialCluster: ['master-1=https://198.18.0.12:2380'], etcdInitialClusterState: 'new' });
    expect(text).not.toContain('initial-cluster-state');
    expect(text).toContain('--initial-cluster=master-1=https://198.18.0.12:2380');
  });
});

describe('the stand-in apiserver objects in etcd', () => {
  const ca = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  const state: ClusterState = {
    clusterName: 'kubernetes',
    controlPlaneEndpoint: '198.18.0.100:8443',
    certSANs: [],
    kubernetesVersion: 'v1.31.4',
    imageRepository: 'registry.k8s.io',
    serviceSubnet: '10.96.0.0/12',
    podSubnet: '',
    dnsDomain: 'cluster.local',
    certificatesDir: '/etc/kubernetes/pki',
    encryptionAlgorithm: 'ECDSA-P256',
    etcdExternal: false,
    etcdDataDir: '/var/lib/etcd',
    caCertHash: 'sha256:00',
    kubeletConfig: 'kind: KubeletConfiguration\n',
    createdAtMs: 1_700_000_000_000,
    tokens: [
      {
        id: 'abcdef',
        secret: '0123456789abcdef',
        expiresAtMs: 1_700_086_400_000,
        usages: ['signing', 'authentication'],
        groups: ['system:bootstrappers:kubeadm:default-node-token'],
        description: 'd',
        createdAtMs: 1_700_000_000_000,
      },
    ],
    kubeadmCerts: { data: { 'ca.crt': 'AAAA' }, expiresAtMs: 1_700_007_200_000, ownerTokenId: 'abcdef' },
    nodes: [
      {
        name: 'master-0',
        role: 'control-plane',
        root: '/r/m0',
        address: '198.18.0.11',
        bindPort: 6443,
        joinedAtMs: 1_700_000_000_000,
        unschedulable: false,
        kubeletStopped: false,
        kubeletVersion: 'v1.31.4',
        criSocket: 'unix:///var/run/containerd/containerd.sock',
      },
    ],
    etcdMembers: [],
  };

  it('keys follow kube-apiserver and a round trip gives the objects back', () => {
    const objects = registryObjects(state, ca);
    expect([...objects.keys()].sort()).toEqual([
      '/registry/configmaps/kube-public/cluster-info',
      '/registry/configmaps/kube-system/kubeadm-config',
      '/registry/configmaps/kube-system/kubelet-config',
      '/registry/minions/master-0',
      '/registry/secrets/kube-system/bootstrap-token-abcdef',
      '/registry/secrets/kube-system/kubeadm-certs',
    ]);
    expect([...objects.keys()].every(isManagedKey)).toBe(true);
    const emptied: ClusterState = { ...state, nodes: [], tokens: [], kubeadmCerts: null };
    const back = stateFromRegistry(
      emptied,
      [...objects].map(([key, value]) => ({ key, value })),
    );
    expect(back.nodes).toEqual(state.nodes);
    expect(back.tokens).toEqual(state.tokens);
    expect(back.kubeadmCerts).toEqual(state.kubeadmCerts);
    const secret = JSON.parse(objects.get('/registry/secrets/kube-system/bootstrap-token-abcdef')!) as { type: string; data: Record<string, string> };
    expect(secret.type).toBe('bootstrap.kubernetes.io/token');
    expect(Buffer.from(secret.data['token-id']!, 'base64').toString()).toBe('abcdef');
  });

  it('range ends of prefixes', () => {
    expect(prefixEnd('/registry/').toString()).toBe('/registry0');
    expect(prefixEnd('a').toString()).toBe('b');
  });
});
