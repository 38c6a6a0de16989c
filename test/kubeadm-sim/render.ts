/**
 * The files kubeadm writes on a host, rendered from plain inputs: kubeconfigs, the control-plane
 * static Pod manifests, the kubelet configuration and its flags file. Pure.
 */
import { stringify } from 'yaml';
import type { Arg } from './config.js';

export interface KubeconfigInput {
  clusterName: string;
  server: string;
  caPem: string;
  userName: string;
  contextName?: string;
  clusterEntryName?: string;
  /** Embedded client credentials ... */
  clientCertPem?: string;
  clientKeyPem?: string;
  /** ... or file references, as the kubelet's rotated credentials are. */
  clientCertFile?: string;
  clientKeyFile?: string;
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

export function renderKubeconfig(i: KubeconfigInput): string {
  const clusterEntry = i.clusterEntryName ?? i.clusterName;
  const context = i.contextName ?? `${i.userName}@${i.clusterName}`;
  const user: Record<string, string> = {};
  if (i.clientCertPem) user['client-certificate-data'] = b64(i.clientCertPem);
  if (i.clientKeyPem) user['client-key-data'] = b64(i.clientKeyPem);
  if (i.clientCertFile) user['client-certificate'] = i.clientCertFile;
  if (i.clientKeyFile) user['client-key'] = i.clientKeyFile;
  return stringify({
    apiVersion: 'v1',
    clusters: [{ cluster: { 'certificate-authority-data': b64(i.caPem), server: i.server }, name: clusterEntry }],
    contexts: [{ context: { cluster: clusterEntry, user: i.userName }, name: context }],
    'current-context': context,
    kind: 'Config',
    preferences: {},
    users: [{ name: i.userName, user }],
  });
}

export interface ParsedKubeconfig {
  server: string;
  caPem: string;
}

/** Reads the current context's cluster: server and CA (embedded data only). */
export function readKubeconfig(text: string, parse: (t: string) => unknown): ParsedKubeconfig | null {
  const o = parse(text) as Record<string, unknown> | null;
  if (!o || typeof o !== 'object') return null;
  const contexts = (o.contexts as { name: string; context: { cluster: string } }[] | undefined) ?? [];
  const clusters = (o.clusters as { name: string; cluster: Record<string, string> }[] | undefined) ?? [];
  const current = contexts.find((c) => c.name === o['current-context']);
  const cluster = clusters.find((c) => c.name === current?.context.cluster) ?? clusters[0];
  if (!cluster) return null;
  const data = cluster.cluster['certificate-authority-data'];
  return { server: cluster.cluster.server ?? '', caPem: data ? Buffer.from(data, 'base64').toString() : '' };
}

export interface ControlPlaneInput {
  nodeName: string;
  advertiseAddress: string;
  bindPort: number;
  kubernetesVersion: string;
  imageRepository: string;
  serviceSubnet: string;
  podSubnet: string;
  certificatesDir: string;
  etcdDataDir: string;
  apiServerExtraArgs: Arg[];
  etcdExtraArgs: Arg[];
  /** `name=https://ip:2380` for every member, this one included. */
  etcdInitialCluster: string[];
  etcdInitialClusterState: 'new' | 'existing';
}

function staticPod(
  name: string,
  component: string,
  image: string,
  command: string[],
  annotations: Record<string, string>,
  volumes: { name: string; path: string }[],
  probePort: number,
  probeHost: string,
  probePath: string,
  probeScheme: string,
): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { annotations, labels: { component, tier: 'control-plane' }, name, namespace: 'kube-system' },
    spec: {
      containers: [
        {
          command,
          image,
          imagePullPolicy: 'IfNotPresent',
          livenessProbe: {
            failureThreshold: 8,
            httpGet: { host: probeHost, path: probePath, port: probePort, scheme: probeScheme },
            initialDelaySeconds: 10,
            periodSeconds: 10,
            timeoutSeconds: 15,
          },
          name,
          resources: { requests: { cpu: '250m' } },
          volumeMounts: volumes.map((v) => ({ mountPath: v.path, name: v.name, readOnly: !v.name.includes('data') })),
        },
      ],
      hostNetwork: true,
      priority: 2000001000,
      priorityClassName: 'system-node-critical',
      securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
      volumes: volumes.map((v) => ({ hostPath: { path: v.path, type: 'DirectoryOrCreate' }, name: v.name })),
    },
    status: {},
  });
}

const argsToFlags = (base: Record<string, string>, extra: Arg[]): string[] => {
  const merged = new Map(Object.entries(base));
  for (const a of extra) merged.set(a.name, a.value);
  return [...merged.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `--${k}=${v}`);
};

/** The four control-plane manifests, keyed by file name. */
export function renderControlPlaneManifests(i: ControlPlaneInput): Record<string, string> {
  const pki = i.certificatesDir;
  const cpVolumes = [
    { name: 'ca-certs', path: '/etc/ssl/certs' },
    { name: 'k8s-certs', path: pki },
  ];
  const apiserver = staticPod(
    'kube-apiserver',
    'kube-apiserver',
    `${i.imageRepository}/kube-apiserver:${i.kubernetesVersion}`,
    [
      'kube-apiserver',
      ...argsToFlags(
        {
          'advertise-address': i.advertiseAddress,
          'allow-privileged': 'true',
          'authorization-mode': 'Node,RBAC',
          'client-ca-file': `${pki}/ca.crt`,
          'enable-admission-plugins': 'NodeRestriction',
          'enable-bootstrap-token-auth': 'true',
          'etcd-cafile': `${pki}/etcd/ca.crt`,
          'etcd-certfile': `${pki}/apiserver-etcd-client.crt`,
          'etcd-keyfile': `${pki}/apiserver-etcd-client.key`,
          'etcd-servers': 'https://127.0.0.1:2379',
          'kubelet-client-certificate': `${pki}/apiserver-kubelet-client.crt`,
          'kubelet-client-key': `${pki}/apiserver-kubelet-client.key`,
          'proxy-client-cert-file': `${pki}/front-proxy-client.crt`,
          'proxy-client-key-file': `${pki}/front-proxy-client.key`,
          'requestheader-client-ca-file': `${pki}/front-proxy-ca.crt`,
          'secure-port': String(i.bindPort),
          'service-account-issuer': 'https://kubernetes.default.svc.cluster.local',
          'service-account-key-file': `${pki}/sa.pub`,
          'service-account-signing-key-file': `${pki}/sa.key`,
          'service-cluster-ip-range': i.serviceSubnet,
          'tls-cert-file': `${pki}/apiserver.crt`,
          'tls-private-key-file': `${pki}/apiserver.key`,
        },
        i.apiServerExtraArgs,
      ),
    ],
    { 'kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint': `${i.advertiseAddress}:${i.bindPort}` },
    cpVolumes,
    i.bindPort,
    i.advertiseAddress,
    '/livez',
    'HTTPS',
  );
  const controllerManager = staticPod(
    'kube-controller-manager',
    'kube-controller-manager',
    `${i.imageRepository}/kube-controller-manager:${i.kubernetesVersion}`,
    [
      'kube-controller-manager',
      ...argsToFlags(
        {
          'authentication-kubeconfig': '/etc/kubernetes/controller-manager.conf',
          'authorization-kubeconfig': '/etc/kubernetes/controller-manager.conf',
          'bind-address': '127.0.0.1',
          'client-ca-file': `${pki}/ca.crt`,
          'cluster-name': 'kubernetes',
          'cluster-signing-cert-file': `${pki}/ca.crt`,
          'cluster-signing-key-file': `${pki}/ca.key`,
          controllers: '*,bootstrapsigner,tokencleaner',
          kubeconfig: '/etc/kubernetes/controller-manager.conf',
          'leader-elect': 'true',
          'root-ca-file': `${pki}/ca.crt`,
          'service-account-private-key-file': `${pki}/sa.key`,
          'use-service-account-credentials': 'true',
          ...(i.podSubnet ? { 'allocate-node-cidrs': 'true', 'cluster-cidr': i.podSubnet } : {}),
        },
        [],
      ),
    ],
    {},
    [...cpVolumes, { name: 'kubeconfig', path: '/etc/kubernetes/controller-manager.conf' }],
    10257,
    '127.0.0.1',
    '/healthz',
    'HTTPS',
  );
  const scheduler = staticPod(
    'kube-scheduler',
    'kube-scheduler',
    `${i.imageRepository}/kube-scheduler:${i.kubernetesVersion}`,
    [
      'kube-scheduler',
      '--authentication-kubeconfig=/etc/kubernetes/scheduler.conf',
      '--authorization-kubeconfig=/etc/kubernetes/scheduler.conf',
      '--bind-address=127.0.0.1',
      '--kubeconfig=/etc/kubernetes/scheduler.conf',
      '--leader-elect=true',
    ],
    {},
    [{ name: 'kubeconfig', path: '/etc/kubernetes/scheduler.conf' }],
    10259,
    '127.0.0.1',
    '/healthz',
    'HTTPS',
  );
  return {
    'kube-apiserver.yaml': apiserver,
    'kube-controller-manager.yaml': controllerManager,
    'kube-scheduler.yaml': scheduler,
    'etcd.yaml': renderEtcdManifest(i),
  };
}

/** The etcd image kubeadm v1.31 pins (constants.SupportedEtcdVersion for 1.31). */
export const ETCD_IMAGE_TAG = '3.5.15-0';

/** kubeadm's etcd probe (v1.31, etcd 3.5): the metrics listener, /health without the NOSPACE alarm, no quorum read. */
export const ETCD_PROBE_PATH = '/health?exclude=NOSPACE&serializable=true';

/** etcd's flags as GetEtcdPodSpec/getEtcdCommand (v1.31) build them, extra args merged, sorted by name. */
export function etcdCommand(i: ControlPlaneInput): string[] {
  const pki = i.certificatesDir;
  const a = i.advertiseAddress;
  return [
    'etcd',
    ...argsToFlags(
      {
        'advertise-client-urls': `https://${a}:2379`,
        'cert-file': `${pki}/etcd/server.crt`,
        'client-cert-auth': 'true',
        'data-dir': i.etcdDataDir,
        'experimental-initial-corrupt-check': 'true',
        'experimental-watch-progress-notify-interval': '5s',
        'initial-advertise-peer-urls': `https://${a}:2380`,
        'initial-cluster': i.etcdInitialCluster.join(','),
        ...(i.etcdInitialClusterState === 'existing' ? { 'initial-cluster-state': 'existing' } : {}),
        'key-file': `${pki}/etcd/server.key`,
        'listen-client-urls': `https://127.0.0.1:2379,https://${a}:2379`,
        'listen-metrics-urls': 'http://127.0.0.1:2381',
        'listen-peer-urls': `https://${a}:2380`,
        name: i.nodeName,
        'peer-cert-file': `${pki}/etcd/peer.crt`,
        'peer-client-cert-auth': 'true',
        'peer-key-file': `${pki}/etcd/peer.key`,
        'peer-trusted-ca-file': `${pki}/etcd/ca.crt`,
        'snapshot-count': '10000',
        'trusted-ca-file': `${pki}/etcd/ca.crt`,
      },
      i.etcdExtraArgs,
    ),
  ];
}

/** /etc/kubernetes/manifests/etcd.yaml as kubeadm v1.31 writes it (staticpodutil.ComponentPod). */
export function renderEtcdManifest(i: ControlPlaneInput): string {
  const probe = (failureThreshold: number) => ({
    failureThreshold,
    httpGet: { host: '127.0.0.1', path: ETCD_PROBE_PATH, port: 2381, scheme: 'HTTP' },
    initialDelaySeconds: 10,
    periodSeconds: 10,
    timeoutSeconds: 15,
  });
  const certs = `${i.certificatesDir}/etcd`;
  return stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      annotations: { 'kubeadm.kubernetes.io/etcd.advertise-client-urls': `https://${i.advertiseAddress}:2379` },
      labels: { component: 'etcd', tier: 'control-plane' },
      name: 'etcd',
      namespace: 'kube-system',
    },
    spec: {
      containers: [
        {
          command: etcdCommand(i),
          image: `${i.imageRepository}/etcd:${ETCD_IMAGE_TAG}`,
          imagePullPolicy: 'IfNotPresent',
          livenessProbe: probe(8),
          name: 'etcd',
          resources: { requests: { cpu: '100m', memory: '100Mi' } },
          startupProbe: probe(24),
          volumeMounts: [
            { mountPath: i.etcdDataDir, name: 'etcd-data' },
            { mountPath: certs, name: 'etcd-certs' },
          ],
        },
      ],
      hostNetwork: true,
      priority: 2000001000,
      priorityClassName: 'system-node-critical',
      securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
      volumes: [
        { hostPath: { path: certs, type: 'DirectoryOrCreate' }, name: 'etcd-certs' },
        { hostPath: { path: i.etcdDataDir, type: 'DirectoryOrCreate' }, name: 'etcd-data' },
      ],
    },
    status: {},
  });
}

/** /var/lib/kubelet/config.yaml: kubeadm's defaults overlaid with the user's KubeletConfiguration. */
export function renderKubeletConfig(user: Record<string, unknown> | null, dnsDomain: string, clusterDNS: string): string {
  const base: Record<string, unknown> = {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    authentication: { anonymous: { enabled: false }, webhook: { cacheTTL: '0s', enabled: true }, x509: { clientCAFile: '/etc/kubernetes/pki/ca.crt' } },
    authorization: { mode: 'Webhook', webhook: { cacheAuthorizedTTL: '0s', cacheUnauthorizedTTL: '0s' } },
    cgroupDriver: 'systemd',
    clusterDNS: [clusterDNS],
    clusterDomain: dnsDomain,
    containerRuntimeEndpoint: '',
    cpuManagerReconcilePeriod: '0s',
    healthzBindAddress: '127.0.0.1',
    healthzPort: 10248,
    kind: 'KubeletConfiguration',
    rotateCertificates: true,
    staticPodPath: '/etc/kubernetes/manifests',
  };
  const merged = { ...base, ...(user ?? {}) };
  const sorted = Object.fromEntries(Object.entries(merged).sort(([a], [b]) => a.localeCompare(b)));
  return stringify(sorted);
}

/** /var/lib/kubelet/kubeadm-flags.env */
export function renderKubeletFlags(criSocket: string, imageRepository: string, nodeName: string, defaultNodeName: string): string {
  const flags = [`--container-runtime-endpoint=${criSocket}`];
  if (nodeName !== defaultNodeName) flags.push(`--hostname-override=${nodeName}`);
  flags.push(`--pod-infra-container-image=${imageRepository}/pause:3.10`);
  return `KUBELET_KUBEADM_ARGS="${flags.join(' ')}"\n`;
}

/** The first address of the service subnet: the `kubernetes` Service ClusterIP put in the apiserver cert. */
export function firstServiceIP(serviceSubnet: string): string {
  const first = serviceSubnet.split(',')[0] ?? '10.96.0.0/12';
  const [ip] = first.split('/');
  const parts = (ip ?? '10.96.0.0').split('.').map(Number);
  if (parts.length !== 4) return '10.96.0.1';
  const n = (((parts[0] ?? 0) << 24) | ((parts[1] ?? 0) << 16) | ((parts[2] ?? 0) << 8) | (parts[3] ?? 0)) >>> 0;
  const m = n + 1;
  return [(m >>> 24) & 255, (m >>> 16) & 255, (m >>> 8) & 255, m & 255].join('.');
}

/** The tenth address: CoreDNS's ClusterIP. */
export function clusterDNSIP(serviceSubnet: string): string {
  const first = firstServiceIP(serviceSubnet).split('.').map(Number);
  return [first[0], first[1], first[2], (first[3] ?? 1) + 9].join('.');
}
