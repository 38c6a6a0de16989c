/**
 * What the simulated kube-apiserver would report about Nodes and kube-system Pods, derived from
 * the cluster state and the static Pod manifests present on each node. Pure: the caller reads the
 * manifests and probes the stand-in apiservers. Rendering follows kubectl's printers.
 */
import { createHash } from 'node:crypto';
import { kubeletPosting, runningKubeletVersion, type ClusterState, type NodeState } from './state.js';
import { humanDuration } from './duration.js';
import { tabwrite } from './output.js';

export interface StaticPodManifest {
  name: string;
  namespace: string;
  containers: string[];
  images: string[];
  labels: Record<string, string>;
}

export interface NodeObservation {
  /** Static Pod manifests found in the node's manifest directory. */
  manifests: StaticPodManifest[];
  /** false when the node's stand-in apiserver was started and has died. */
  apiserverUp: boolean;
}

export interface PodView {
  name: string;
  namespace: string;
  nodeName: string;
  ready: string;
  status: string;
  restarts: number;
  createdAtMs: number;
  ip: string;
  hostIP: string;
  kind: 'mirror' | 'daemonset' | 'deployment';
  containers: { name: string; image: string; ready: boolean }[];
  labels: Record<string, string>;
}

const suffix = (seed: string, n: number): string => {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  const h = createHash('sha256').update(seed).digest();
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[(h[i] ?? 0) % alphabet.length];
  return s;
};

export function nodeStatus(n: NodeState): string {
  const ready = kubeletPosting(n) ? 'Ready' : 'NotReady';
  return n.unschedulable ? `${ready},SchedulingDisabled` : ready;
}

export function nodeRoles(n: NodeState): string {
  return n.role === 'control-plane' ? 'control-plane' : '<none>';
}

/** Where the Deployment-managed CoreDNS replicas run: the oldest schedulable control-plane node, else any schedulable node. */
function corednsNode(s: ClusterState): NodeState | null {
  const live = s.nodes.filter((n) => kubeletPosting(n) && !n.unschedulable).sort((a, b) => a.joinedAtMs - b.joinedAtMs);
  return live.find((n) => n.role === 'control-plane') ?? live[0] ?? null;
}

export function podsOf(s: ClusterState, observations: Map<string, NodeObservation>): PodView[] {
  const pods: PodView[] = [];
  const image = (name: string): string => `${s.imageRepository}/${name}:${s.kubernetesVersion}`;
  for (const n of s.nodes) {
    if (!kubeletPosting(n)) continue;
    const obs = observations.get(n.name);
    for (const m of obs?.manifests ?? []) {
      const isApiserver = m.name === 'kube-apiserver';
      const down = isApiserver && obs?.apiserverUp === false;
      pods.push({
        name: `${m.name}-${n.name}`,
        namespace: m.namespace,
        nodeName: n.name,
        ready: down ? `0/${m.containers.length}` : `${m.containers.length}/${m.containers.length}`,
        status: down ? 'CrashLoopBackOff' : 'Running',
        restarts: down ? 3 : 0,
        createdAtMs: n.joinedAtMs,
        ip: n.address,
        hostIP: n.address,
        kind: 'mirror',
        containers: m.containers.map((c, i) => ({ name: c, image: m.images[i] ?? '', ready: !down })),
        labels: m.labels,
      });
    }
    pods.push({
      name: `kube-proxy-${suffix(`kube-proxy/${n.name}`, 5)}`,
      namespace: 'kube-system',
      nodeName: n.name,
      ready: '1/1',
      status: 'Running',
      restarts: 0,
      createdAtMs: n.joinedAtMs,
      ip: n.address,
      hostIP: n.address,
      kind: 'daemonset',
      containers: [{ name: 'kube-proxy', image: image('kube-proxy'), ready: true }],
      labels: { 'k8s-app': 'kube-proxy' },
    });
  }
  const dnsNode = corednsNode(s);
  const rs = suffix(`coredns/${s.createdAtMs}`, 10);
  for (let i = 0; i < 2; i++) {
    pods.push({
      name: `coredns-${rs}-${suffix(`coredns/${s.createdAtMs}/${i}`, 5)}`,
      namespace: 'kube-system',
      nodeName: dnsNode?.name ?? '',
      ready: dnsNode ? '1/1' : '0/1',
      status: dnsNode ? 'Running' : 'Pending',
      restarts: 0,
      createdAtMs: s.createdAtMs,
      ip: dnsNode ? `10.244.0.${i + 2}` : '',
      hostIP: dnsNode?.address ?? '',
      kind: 'deployment',
      containers: [{ name: 'coredns', image: `${s.imageRepository}/coredns/coredns:v1.11.3`, ready: !!dnsNode }],
      labels: { 'k8s-app': 'kube-dns' },
    });
  }
  return pods.sort((a, b) => a.name.localeCompare(b.name));
}

export function nodesTable(nodes: NodeState[], nowMs: number, wide: boolean, noHeaders: boolean): string {
  const rows: string[][] = [];
  if (!noHeaders)
    rows.push(
      wide
        ? ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION', 'INTERNAL-IP', 'EXTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME']
        : ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION'],
    );
  for (const n of [...nodes].sort((a, b) => a.name.localeCompare(b.name))) {
    const base = [n.name, nodeStatus(n), nodeRoles(n), humanDuration(nowMs - n.joinedAtMs), runningKubeletVersion(n)];
    rows.push(wide ? [...base, n.address, '<none>', 'Debian GNU/Linux 12 (bookworm)', '6.1.0-kubeadm-sim', 'containerd://1.7.24'] : base);
  }
  return tabwrite(rows, 6, 3);
}

export function podsTable(pods: PodView[], nowMs: number, wide: boolean, allNamespaces: boolean, noHeaders: boolean): string {
  const rows: string[][] = [];
  const head = ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', ...(wide ? ['IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES'] : [])];
  if (!noHeaders) rows.push(allNamespaces ? ['NAMESPACE', ...head] : head);
  for (const p of pods) {
    const row = [
      p.name,
      p.ready,
      p.status,
      String(p.restarts),
      humanDuration(nowMs - p.createdAtMs),
      ...(wide ? [p.ip || '<none>', p.nodeName || '<none>', '<none>', '<none>'] : []),
    ];
    rows.push(allNamespaces ? [p.namespace, ...row] : row);
  }
  return tabwrite(rows, 6, 3);
}

const iso = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

export function nodeObject(n: NodeState): Record<string, unknown> {
  const labels: Record<string, string> = {
    'beta.kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': n.name,
    'kubernetes.io/os': 'linux',
  };
  if (n.role === 'control-plane') {
    labels['node-role.kubernetes.io/control-plane'] = '';
    labels['node.kubernetes.io/exclude-from-external-load-balancers'] = '';
  }
  const taints: Record<string, string>[] = [];
  if (n.role === 'control-plane') taints.push({ effect: 'NoSchedule', key: 'node-role.kubernetes.io/control-plane' });
  if (n.unschedulable) taints.push({ effect: 'NoSchedule', key: 'node.kubernetes.io/unschedulable', timeAdded: iso(Date.now()) });
  if (!kubeletPosting(n)) taints.push({ effect: 'NoSchedule', key: 'node.kubernetes.io/unreachable' });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      annotations: {
        'kubeadm.alpha.kubernetes.io/cri-socket': n.criSocket,
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
      creationTimestamp: iso(n.joinedAtMs),
      labels,
      name: n.name,
    },
    spec: { ...(taints.length ? { taints } : {}), ...(n.unschedulable ? { unschedulable: true } : {}) },
    status: {
      addresses: [
        { address: n.address, type: 'InternalIP' },
        { address: n.name, type: 'Hostname' },
      ],
      conditions: [
        !kubeletPosting(n)
          ? { message: 'Kubelet stopped posting node status.', reason: 'NodeStatusUnknown', status: 'Unknown', type: 'Ready' }
          : { message: 'kubelet is posting ready status', reason: 'KubeletReady', status: 'True', type: 'Ready' },
      ],
      nodeInfo: {
        architecture: 'amd64',
        containerRuntimeVersion: 'containerd://1.7.24',
        kernelVersion: '6.1.0-kubeadm-sim',
        kubeProxyVersion: '',
        kubeletVersion: runningKubeletVersion(n),
        operatingSystem: 'linux',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
      },
    },
  };
}

export function podObject(p: PodView): Record<string, unknown> {
  const owner =
    p.kind === 'mirror'
      ? [{ apiVersion: 'v1', controller: true, kind: 'Node', name: p.nodeName }]
      : p.kind === 'daemonset'
        ? [{ apiVersion: 'apps/v1', blockOwnerDeletion: true, controller: true, kind: 'DaemonSet', name: 'kube-proxy' }]
        : [{ apiVersion: 'apps/v1', blockOwnerDeletion: true, controller: true, kind: 'ReplicaSet', name: p.name.split('-').slice(0, 2).join('-') }];
  const running = p.status === 'Running';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...(p.kind === 'mirror' ? { annotations: { 'kubernetes.io/config.mirror': 'sim', 'kubernetes.io/config.source': 'file' } } : {}),
      creationTimestamp: iso(p.createdAtMs),
      labels: p.labels,
      name: p.name,
      namespace: p.namespace,
      ownerReferences: owner,
    },
    spec: {
      containers: p.containers.map((c) => ({ image: c.image, name: c.name })),
      ...(p.nodeName ? { nodeName: p.nodeName } : {}),
      ...(p.kind !== 'deployment' ? { hostNetwork: true } : {}),
    },
    status: {
      conditions: [{ status: running && p.ready.startsWith(p.ready.split('/')[1] ?? '') ? 'True' : 'False', type: 'Ready' }],
      containerStatuses: p.containers.map((c) => ({
        image: c.image,
        name: c.name,
        ready: c.ready,
        restartCount: p.restarts,
        started: c.ready,
        state: c.ready ? { running: { startedAt: iso(p.createdAtMs) } } : { waiting: { reason: p.status } },
      })),
      ...(p.hostIP ? { hostIP: p.hostIP } : {}),
      phase: p.status === 'Pending' ? 'Pending' : 'Running',
      ...(p.ip ? { podIP: p.ip } : {}),
    },
  };
}

/** Parses a static Pod manifest as the kubelet would for naming; null when it is not a Pod. */
export function parseStaticPod(doc: unknown, fileName: string): StaticPodManifest | null {
  if (!doc || typeof doc !== 'object') return null;
  const o = doc as {
    kind?: string;
    metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
    spec?: { containers?: { name?: string; image?: string }[] };
  };
  if (o.kind !== 'Pod') return null;
  const containers = o.spec?.containers ?? [];
  return {
    name: o.metadata?.name ?? fileName.replace(/\.(ya?ml|json)$/, ''),
    namespace: o.metadata?.namespace || 'default',
    containers: containers.map((c, i) => c.name ?? `container-${i}`),
    images: containers.map((c) => c.image ?? ''),
    labels: o.metadata?.labels ?? {},
  };
}
