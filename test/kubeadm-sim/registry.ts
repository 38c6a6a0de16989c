/**
 * The stand-in apiserver's objects in etcd (KUBEADM_SIM_ETCD=real), under the real kube-apiserver's keys: Nodes at
 * `/registry/minions/<name>`, Secrets at `/registry/secrets/<namespace>/<name>` (bootstrap tokens, kubeadm-certs),
 * ConfigMaps at `/registry/configmaps/<namespace>/<name>` (cluster-info, kubeadm-config, kubelet-config). Values are
 * JSON (the real one stores protobuf). Each object carries the simulator's own record in the
 * `kubeadm-sim.io/state` annotation, so a restored etcd gives the state back exactly. Pure.
 */
import { clusterInfoConfigMap } from './jws.js';
import { kubeletPosting, type ClusterState, type KubeadmCertsState, type NodeState, type TokenState } from './state.js';

export const REGISTRY_PREFIX = '/registry/';
/** The keys the simulator owns: anything else under /registry is left alone. */
const MANAGED = ['/registry/minions/', '/registry/secrets/kube-system/', '/registry/configmaps/kube-system/', '/registry/configmaps/kube-public/'];
export const isManagedKey = (k: string): boolean => MANAGED.some((p) => k.startsWith(p));

const STATE_ANNOTATION = 'kubeadm-sim.io/state';
const b64 = (s: string): string => Buffer.from(s).toString('base64');
const time = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function nodeObject(n: NodeState): unknown {
  return {
    kind: 'Node',
    apiVersion: 'v1',
    metadata: {
      name: n.name,
      creationTimestamp: time(n.joinedAtMs),
      labels: {
        'kubernetes.io/hostname': n.name,
        ...(n.role === 'control-plane' ? { 'node-role.kubernetes.io/control-plane': '', 'node.kubernetes.io/exclude-from-external-load-balancers': '' } : {}),
      },
      annotations: { [STATE_ANNOTATION]: JSON.stringify(n) },
    },
    spec: n.unschedulable ? { unschedulable: true } : {},
    status: {
      addresses: [
        { type: 'InternalIP', address: n.address },
        { type: 'Hostname', address: n.name },
      ],
      conditions: [{ type: 'Ready', status: kubeletPosting(n) ? 'True' : 'Unknown' }],
      nodeInfo: { kubeletVersion: n.kubeletVersion },
    },
  };
}

function tokenSecret(t: TokenState): unknown {
  const data: Record<string, string> = { 'token-id': b64(t.id), 'token-secret': b64(t.secret) };
  if (t.description) data.description = b64(t.description);
  if (t.expiresAtMs !== null) data.expiration = b64(time(t.expiresAtMs));
  for (const u of t.usages) data[`usage-bootstrap-${u}`] = b64('true');
  if (t.groups.length) data['auth-extra-groups'] = b64(t.groups.join(','));
  return {
    kind: 'Secret',
    apiVersion: 'v1',
    metadata: {
      name: `bootstrap-token-${t.id}`,
      namespace: 'kube-system',
      creationTimestamp: time(t.createdAtMs),
      annotations: { [STATE_ANNOTATION]: JSON.stringify(t) },
    },
    type: 'bootstrap.kubernetes.io/token',
    data,
  };
}

function kubeadmCertsSecret(c: KubeadmCertsState): unknown {
  return {
    kind: 'Secret',
    apiVersion: 'v1',
    metadata: {
      name: 'kubeadm-certs',
      namespace: 'kube-system',
      ownerReferences: [{ apiVersion: 'v1', kind: 'Secret', name: `bootstrap-token-${c.ownerTokenId}`, controller: true, blockOwnerDeletion: true }],
      annotations: { [STATE_ANNOTATION]: JSON.stringify({ expiresAtMs: c.expiresAtMs, ownerTokenId: c.ownerTokenId }) },
    },
    type: 'Opaque',
    data: c.data,
  };
}

function configMap(namespace: string, name: string, data: Record<string, string>): unknown {
  return { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name, namespace }, data };
}

/** Every object the state implies, by etcd key, as the JSON value to store. */
export function registryObjects(s: ClusterState, caPem: string): Map<string, string> {
  const objects = new Map<string, unknown>();
  for (const n of s.nodes) objects.set(`/registry/minions/${n.name}`, nodeObject(n));
  for (const t of s.tokens) objects.set(`/registry/secrets/kube-system/bootstrap-token-${t.id}`, tokenSecret(t));
  if (s.kubeadmCerts) objects.set('/registry/secrets/kube-system/kubeadm-certs', kubeadmCertsSecret(s.kubeadmCerts));
  objects.set('/registry/configmaps/kube-public/cluster-info', clusterInfoConfigMap(s, caPem));
  objects.set(
    '/registry/configmaps/kube-system/kubeadm-config',
    configMap('kube-system', 'kubeadm-config', {
      ClusterConfiguration: JSON.stringify({
        apiVersion: 'kubeadm.k8s.io/v1beta4',
        kind: 'ClusterConfiguration',
        clusterName: s.clusterName,
        controlPlaneEndpoint: s.controlPlaneEndpoint,
        kubernetesVersion: s.kubernetesVersion,
        imageRepository: s.imageRepository,
        certificatesDir: s.certificatesDir,
        networking: { serviceSubnet: s.serviceSubnet, podSubnet: s.podSubnet, dnsDomain: s.dnsDomain },
        etcd: s.etcdExternal ? { external: {} } : { local: { dataDir: s.etcdDataDir } },
      }),
    }),
  );
  objects.set('/registry/configmaps/kube-system/kubelet-config', configMap('kube-system', 'kubelet-config', { kubelet: s.kubeletConfig }));
  return new Map([...objects].map(([k, v]) => [k, JSON.stringify(v)]));
}

function annotationOf<T>(value: string): T | null {
  try {
    const o = JSON.parse(value) as { metadata?: { annotations?: Record<string, string> } };
    const a = o.metadata?.annotations?.[STATE_ANNOTATION];
    return a ? (JSON.parse(a) as T) : null;
  } catch {
    return null;
  }
}

/** The state with its objects (nodes, tokens, kubeadm-certs) taken from etcd: after a restore, etcd is the truth. */
export function stateFromRegistry(base: ClusterState, kvs: readonly { key: string; value: string }[]): ClusterState {
  const nodes: NodeState[] = [];
  const tokens: TokenState[] = [];
  let kubeadmCerts: KubeadmCertsState | null = null;
  for (const { key, value } of kvs) {
    if (key.startsWith('/registry/minions/')) {
      const n = annotationOf<NodeState>(value);
      if (n) nodes.push(n);
    } else if (key.startsWith('/registry/secrets/kube-system/bootstrap-token-')) {
      const t = annotationOf<TokenState>(value);
      if (t) tokens.push(t);
    } else if (key === '/registry/secrets/kube-system/kubeadm-certs') {
      const meta = annotationOf<{ expiresAtMs: number; ownerTokenId: string }>(value);
      const data = (JSON.parse(value) as { data?: Record<string, string> }).data;
      if (meta && data) kubeadmCerts = { data, ...meta };
    }
  }
  return { ...base, nodes: nodes.sort((a, b) => a.joinedAtMs - b.joinedAtMs), tokens, kubeadmCerts };
}
