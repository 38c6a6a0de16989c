import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { isBootstrapToken, isCaCertHash, isCertificateKey } from '../kubeadm/tokens.js';
import { findPlannedNode, planCluster, type ClusterPlan } from '../plan.js';
import { parseKubernetesVersion } from '../spec.js';
import { loadSpec } from '../validate.js';
import {
  apiServerCertSANs,
  KUBEADM_CONFIG_PATH,
  KUBEADM_OPS_CONFIG_PATH,
  kubeadmApiVersion,
  renderKubeadmConfig,
  renderKubeadmOpsConfig,
  type KubeadmConfigOptions,
} from './kubeadm-config.js';
import type { RenderTarget } from './types.js';

const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../test/fixtures/golden/kubeadm');

/** Compares with the stored file; UPDATE_GOLDEN=1 rewrites it instead (review the diff before committing). */
function expectGolden(relativePath: string, actual: string): void {
  const file = join(GOLDEN_DIR, relativePath);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  if (!existsSync(file)) throw new Error(`golden file ${file} is missing; run the test with UPDATE_GOLDEN=1 to create it`);
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

const TOKEN = 'k7x2qa.9f3mzr0c4tq8wd1e';
const CA_HASH = 'sha256:3c9d4e0f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d';
const CERT_KEY = 'e4c1d2b3a4f5e6d7c8b9a0f1e2d3c4b5a6f7e8d9c0b1a2f3e4d5c6b7a8f9e0d1';

function specYaml(version: string, extra: { etcd?: string; vip?: string; nodes?: string; proxyMode?: string } = {}): string {
  return `apiVersion: kubeadm-ha.io/v1alpha1
kind: Cluster
metadata:
  name: prod
spec:
  kubernetes:
    version: ${version}
    imageRepository: registry.example.test/k8s
${extra.proxyMode ? `    kubeProxyMode: ${extra.proxyMode}\n` : ''}${extra.etcd ?? ''}  controlPlaneEndpoint:
    vip: ${extra.vip ?? '198.18.0.100/24'}
    port: 8443
    keepalived:
      authPass: s3cr3tpw
  nodes:
${
  extra.nodes ??
  `    - { name: master-0, address: 198.18.0.11, role: control-plane, interface: eth0 }
    - { name: master-1, address: 198.18.0.12, role: control-plane, interface: eth0 }
    - { name: master-2, address: 198.18.0.13, role: control-plane, interface: eth0 }
    - { name: worker-0, address: 198.18.0.21, role: worker }
`
}`;
}

const ETCD_SEED_000 = '    etcd:\n      heartbeatIntervalMs: 1000\n      electionTimeoutMs: 5000\n';
const ETCD_SEED_002 = '    etcd:\n      heartbeatIntervalMs: 250\n      electionTimeoutMs: 2500\n';

function plan(yaml: string): ClusterPlan {
  return planCluster(loadSpec(yaml).spec);
}

function target(p: ClusterPlan, name: string): RenderTarget {
  const node = findPlannedNode(p, name);
  if (!node) throw new Error(`no node ${name}`);
  return { plan: p, node, interface: 'eth0' };
}

function documents(content: string): Record<string, unknown>[] {
  const docs = parseAllDocuments(content);
  if (!Array.isArray(docs)) throw new Error('no documents');
  return docs.map((d) => {
    expect(d.errors, d.errors.map((e) => e.message).join('\n')).toEqual([]);
    return d.toJS() as Record<string, unknown>;
  });
}

function byKind(content: string): Map<string, Record<string, unknown>> {
  return new Map(documents(content).map((d) => [d.kind as string, d]));
}

// The fields of kubeadm's types.go (v1beta3 and v1beta4) that a config could carry: a key outside them is an error
// kubeadm reports (strict decoding), and this is how a field moved between versions (timeouts) is caught here.
type Shape = 'scalar' | 'map' | 'any' | readonly [Shape] | { readonly [key: string]: Shape };
const str = 'scalar' as const;
const list = (s: Shape): readonly [Shape] => [s];
const arg = { name: str, value: str };
const endpoint = { advertiseAddress: str, bindPort: str };
const taint = { key: str, value: str, effect: str, timeAdded: str };
const bootstrapToken = { token: str, description: str, ttl: str, expires: str, usages: list(str), groups: list(str) };
const timeouts = {
  controlPlaneComponentHealthCheck: str,
  kubeletHealthCheck: str,
  kubernetesAPICall: str,
  etcdAPICall: str,
  tlsBootstrap: str,
  discovery: str,
  upgradeManifests: str,
};
function schema(v: 'v1beta3' | 'v1beta4'): Record<string, Shape> {
  const v4 = v === 'v1beta4';
  const extraArgs: Shape = v4 ? list(arg) : 'map';
  const nodeRegistration = {
    name: str,
    criSocket: str,
    taints: list(taint),
    kubeletExtraArgs: extraArgs,
    ignorePreflightErrors: list(str),
    imagePullPolicy: str,
    ...(v4 ? { imagePullSerial: str } : {}),
  };
  const component = { extraArgs, extraVolumes: 'any' as const, ...(v4 ? { extraEnvs: 'any' as const } : {}) };
  const common = { apiVersion: str, kind: str };
  return {
    InitConfiguration: {
      ...common,
      bootstrapTokens: list(bootstrapToken),
      nodeRegistration,
      localAPIEndpoint: endpoint,
      certificateKey: str,
      skipPhases: list(str),
      patches: { directory: str },
      ...(v4 ? { dryRun: str, timeouts } : {}),
    },
    ClusterConfiguration: {
      ...common,
      etcd: {
        local: {
          imageRepository: str,
          imageTag: str,
          dataDir: str,
          extraArgs,
          serverCertSANs: list(str),
          peerCertSANs: list(str),
          ...(v4 ? { extraEnvs: 'any' as const } : {}),
        },
        external: 'any',
      },
      networking: { serviceSubnet: str, podSubnet: str, dnsDomain: str },
      kubernetesVersion: str,
      controlPlaneEndpoint: str,
      apiServer: { ...component, certSANs: list(str), ...(v4 ? {} : { timeoutForControlPlane: str }) },
      controllerManager: component,
      scheduler: component,
      dns: { imageRepository: str, imageTag: str, ...(v4 ? { disabled: str } : {}) },
      certificatesDir: str,
      imageRepository: str,
      featureGates: 'map',
      clusterName: str,
      ...(v4 ? { proxy: { disabled: str }, encryptionAlgorithm: str, certificateValidityPeriod: str, caCertificateValidityPeriod: str } : {}),
    },
    JoinConfiguration: {
      ...common,
      nodeRegistration,
      caCertPath: str,
      discovery: {
        bootstrapToken: { token: str, apiServerEndpoint: str, caCertHashes: list(str), unsafeSkipCAVerification: str },
        file: { kubeConfigPath: str },
        tlsBootstrapToken: str,
        ...(v4 ? {} : { timeout: str }),
      },
      controlPlane: { localAPIEndpoint: endpoint, certificateKey: str },
      skipPhases: list(str),
      patches: { directory: str },
      ...(v4 ? { dryRun: str, timeouts } : {}),
    },
  };
}

/** Paths in `value` that `shape` does not allow, e.g. `apiServer.timeoutForControlPlane`. */
function unknownFields(value: unknown, shape: Shape, path = ''): string[] {
  if (shape === 'any') return [];
  if (shape === 'scalar') return value !== null && typeof value === 'object' ? [`${path} (expected a scalar)`] : [];
  if (shape === 'map') {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return [`${path} (expected a map)`];
    return Object.entries(value)
      .filter(([, v]) => typeof v !== 'string')
      .map(([k]) => `${path}.${k} (map values must be strings)`);
  }
  if (Array.isArray(shape)) {
    if (!Array.isArray(value)) return [`${path} (expected a list)`];
    return value.flatMap((item, i) => unknownFields(item, shape[0], `${path}[${i}]`));
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [`${path} (expected an object)`];
  const fields = shape as Record<string, Shape>;
  return Object.entries(value).flatMap(([k, v]) => (k in fields ? unknownFields(v, fields[k]!, path ? `${path}.${k}` : k) : [`${path ? `${path}.` : ''}${k}`]));
}

function expectKubeadmSchema(content: string, v: 'v1beta3' | 'v1beta4'): void {
  const shapes = schema(v);
  for (const doc of documents(content)) {
    const shape = shapes[doc.kind as string];
    if (!shape) continue;
    expect(doc.apiVersion).toBe(`kubeadm.k8s.io/${v}`);
    expect(unknownFields(doc, shape)).toEqual([]);
  }
}

interface GoldenCase {
  readonly name: string;
  readonly version: string;
  readonly node: string;
  readonly etcd?: string;
  readonly options?: KubeadmConfigOptions;
  readonly kinds: readonly string[];
}

const INIT_KINDS = ['InitConfiguration', 'ClusterConfiguration', 'KubeletConfiguration', 'KubeProxyConfiguration'];
const CASES: readonly GoldenCase[] = [
  { name: 'v1beta3-init', version: 'v1.30.6', node: 'master-0', kinds: INIT_KINDS },
  { name: 'v1beta3-init-etcd', version: 'v1.30.6', node: 'master-0', etcd: ETCD_SEED_000, kinds: INIT_KINDS },
  { name: 'v1beta4-init', version: 'v1.31.4', node: 'master-0', kinds: INIT_KINDS },
  { name: 'v1beta4-init-etcd', version: 'v1.31.4', node: 'master-0', etcd: ETCD_SEED_002, options: { certificateKey: CERT_KEY }, kinds: INIT_KINDS },
  {
    name: 'v1beta3-join-control-plane',
    version: 'v1.30.6',
    node: 'master-1',
    options: { join: { token: TOKEN, caCertHash: CA_HASH, certificateKey: CERT_KEY } },
    kinds: ['JoinConfiguration'],
  },
  { name: 'v1beta3-join-worker', version: 'v1.30.6', node: 'worker-0', kinds: ['JoinConfiguration'] },
  {
    name: 'v1beta4-join-control-plane',
    version: 'v1.31.4',
    node: 'master-1',
    options: { join: { token: TOKEN, caCertHash: CA_HASH, certificateKey: CERT_KEY } },
    kinds: ['JoinConfiguration'],
  },
  { name: 'v1beta4-join-control-plane-placeholders', version: 'v1.31.4', node: 'master-2', kinds: ['JoinConfiguration'] },
  { name: 'v1beta4-join-worker', version: 'v1.31.4', node: 'worker-0', options: { join: { token: TOKEN, caCertHash: CA_HASH } }, kinds: ['JoinConfiguration'] },
];

describe('renderKubeadmConfig golden files', () => {
  for (const c of CASES) {
    it(`${c.name}: matches test/fixtures/golden/kubeadm/${c.name}/kubeadm.yaml and parses into ${c.kinds.join(', ')}`, () => {
      const p = plan(specYaml(c.version, c.etcd ? { etcd: c.etcd } : {}));
      const file = renderKubeadmConfig(target(p, c.node), c.options);
      expect(file.path).toBe(KUBEADM_CONFIG_PATH);
      expect(file.mode).toBe(0o600);
      expectGolden(`${c.name}/kubeadm.yaml`, file.content);
      expect(documents(file.content).map((d) => d.kind)).toEqual(c.kinds);
      expectKubeadmSchema(file.content, c.name.startsWith('v1beta4') ? 'v1beta4' : 'v1beta3');
    });
  }
});

describe('kubeadm API version', () => {
  it('is v1beta3 for 1.22–1.30 and v1beta4 from 1.31', () => {
    const v = (text: string) => kubeadmApiVersion(parseKubernetesVersion(text)!);
    expect(v('v1.22.0')).toBe('kubeadm.k8s.io/v1beta3');
    expect(v('v1.30.14')).toBe('kubeadm.k8s.io/v1beta3');
    expect(v('v1.31.0')).toBe('kubeadm.k8s.io/v1beta4');
    expect(v('v1.33.2')).toBe('kubeadm.k8s.io/v1beta4');
    expect(() => v('v1.21.14')).toThrow(/v1beta3/);
  });
});

describe('init documents', () => {
  const p = plan(specYaml('v1.31.4', { etcd: ETCD_SEED_002 }));
  const docs = byKind(renderKubeadmConfig(target(p, 'master-0')).content);
  const init = docs.get('InitConfiguration') as any;
  const cluster = docs.get('ClusterConfiguration') as any;

  it('points the cluster at the VIP and the node at its own address', () => {
    expect(cluster.controlPlaneEndpoint).toBe('198.18.0.100:8443');
    expect(init.localAPIEndpoint).toEqual({ advertiseAddress: '198.18.0.11', bindPort: 6443 });
    expect(init.nodeRegistration.name).toBe('master-0');
    expect(init.nodeRegistration.criSocket).toBe('unix:///run/containerd/containerd.sock');
    expect(init.nodeRegistration.kubeletExtraArgs).toEqual([{ name: 'node-ip', value: '198.18.0.11' }]);
    expect(cluster.kubernetesVersion).toBe('v1.31.4');
    expect(cluster.imageRepository).toBe('registry.example.test/k8s');
    expect(cluster.clusterName).toBe('prod');
    expect(cluster.networking).toEqual({ podSubnet: '10.244.0.0/16', serviceSubnet: '10.96.0.0/12', dnsDomain: 'cluster.local' });
  });

  it('puts the VIP, every control-plane name and address, and loopback in certSANs', () => {
    expect(cluster.apiServer.certSANs).toEqual([
      '198.18.0.100',
      'master-0',
      '198.18.0.11',
      'master-1',
      '198.18.0.12',
      'master-2',
      '198.18.0.13',
      '127.0.0.1',
      'localhost',
    ]);
    expect(cluster.apiServer.certSANs).not.toContain('worker-0');
  });

  it('writes v1beta4 etcd extraArgs as a list of string name/value pairs', () => {
    expect(cluster.etcd.local.extraArgs).toEqual([
      { name: 'heartbeat-interval', value: '250' },
      { name: 'election-timeout', value: '2500' },
    ]);
    expect(cluster.etcd.local.dataDir).toBe('/var/lib/etcd');
  });

  it('writes v1beta3 etcd extraArgs as a map of strings', () => {
    const v3 = byKind(renderKubeadmConfig(target(plan(specYaml('v1.30.6', { etcd: ETCD_SEED_000 })), 'master-0')).content).get('ClusterConfiguration') as any;
    expect(v3.etcd.local.extraArgs).toEqual({ 'heartbeat-interval': '1000', 'election-timeout': '5000' });
    expect(v3.apiServer.timeoutForControlPlane).toBe('4m0s');
  });

  it('moves the control-plane timeout to InitConfiguration.timeouts in v1beta4', () => {
    expect(init.timeouts).toEqual({ controlPlaneComponentHealthCheck: '4m0s' });
    expect(cluster.apiServer.timeoutForControlPlane).toBeUndefined();
  });

  it('has no etcd extraArgs without tuning', () => {
    const plain = byKind(renderKubeadmConfig(target(plan(specYaml('v1.31.4')), 'master-0')).content).get('ClusterConfiguration') as any;
    expect(plain.etcd.local.extraArgs).toBeUndefined();
  });

  it('carries kubelet cgroup driver and kube-proxy mode', () => {
    expect(docs.get('KubeletConfiguration')).toEqual({ apiVersion: 'kubelet.config.k8s.io/v1beta1', kind: 'KubeletConfiguration', cgroupDriver: 'systemd' });
    expect(docs.get('KubeProxyConfiguration')).toEqual({ apiVersion: 'kubeproxy.config.k8s.io/v1alpha1', kind: 'KubeProxyConfiguration', mode: 'ipvs' });
  });

  it('sets the join-token TTL and, when given, the certificate key and skipPhases', () => {
    expect(init.bootstrapTokens).toHaveLength(1);
    expect(init.bootstrapTokens[0].ttl).toBe('1h0m0s');
    expect(init.bootstrapTokens[0].token).toBeUndefined();
    expect(init.certificateKey).toBeUndefined();
    expect(init.skipPhases).toBeUndefined();
    const withKey = byKind(
      renderKubeadmConfig(target(p, 'master-0'), { certificateKey: CERT_KEY, bootstrapTokenTtlMs: 15 * 60_000, skipPhases: ['addon/kube-proxy'] }).content,
    ).get('InitConfiguration') as any;
    expect(withKey.certificateKey).toBe(CERT_KEY);
    expect(withKey.bootstrapTokens[0].ttl).toBe('15m0s');
    expect(withKey.skipPhases).toEqual(['addon/kube-proxy']);
  });

  it('refuses a malformed certificate key without echoing it', () => {
    expect(() => renderKubeadmConfig(target(p, 'master-0'), { certificateKey: 'NOT-HEX-secretvalue' })).toThrow(/64 lowercase hex/);
    try {
      renderKubeadmConfig(target(p, 'master-0'), { certificateKey: 'NOT-HEX-secretvalue' });
    } catch (err) {
      expect((err as Error).message).not.toContain('secretvalue');
    }
  });
});

describe('kube-proxy nftables mode', () => {
  const proxy = (version: string) =>
    byKind(renderKubeadmConfig(target(plan(specYaml(version, { proxyMode: 'nftables' })), 'master-0')).content).get('KubeProxyConfiguration') as any;
  it('turns the feature gate on where the mode is alpha (1.29, 1.30) and not from 1.31', () => {
    expect(proxy('v1.30.6')).toMatchObject({ mode: 'nftables', featureGates: { NFTablesProxyMode: true } });
    expect(proxy('v1.31.4').featureGates).toBeUndefined();
  });
  it('refuses Kubernetes before 1.29', () => {
    expect(() => proxy('v1.28.15')).toThrow(/nftables mode needs Kubernetes v1.29/);
  });
});

describe('join documents', () => {
  const p = plan(specYaml('v1.31.4'));

  it('joins a control-plane node through the VIP with its own advertise address and the credentials', () => {
    const join = byKind(renderKubeadmConfig(target(p, 'master-1'), { join: { token: TOKEN, caCertHash: CA_HASH, certificateKey: CERT_KEY } }).content).get(
      'JoinConfiguration',
    ) as any;
    expect(join.discovery.bootstrapToken).toEqual({ apiServerEndpoint: '198.18.0.100:8443', token: TOKEN, caCertHashes: [CA_HASH] });
    expect(join.controlPlane).toEqual({ localAPIEndpoint: { advertiseAddress: '198.18.0.12', bindPort: 6443 }, certificateKey: CERT_KEY });
    expect(join.nodeRegistration.name).toBe('master-1');
    expect(join.timeouts).toEqual({ controlPlaneComponentHealthCheck: '4m0s', discovery: '5m0s' });
  });

  it('joins a worker without a controlPlane section', () => {
    const join = byKind(renderKubeadmConfig(target(p, 'worker-0'), { join: { token: TOKEN, caCertHash: CA_HASH } }).content).get('JoinConfiguration') as any;
    expect(join.controlPlane).toBeUndefined();
    expect(join.nodeRegistration).toMatchObject({ name: 'worker-0', kubeletExtraArgs: [{ name: 'node-ip', value: '198.18.0.21' }] });
  });

  it('keeps v1beta3 discovery.timeout where it was', () => {
    const join = byKind(renderKubeadmConfig(target(plan(specYaml('v1.30.6')), 'worker-0')).content).get('JoinConfiguration') as any;
    expect(join.discovery.timeout).toBe('5m0s');
    expect(join.timeouts).toBeUndefined();
    expect(join.nodeRegistration.kubeletExtraArgs).toEqual({ 'node-ip': '198.18.0.21' });
  });

  it('renders placeholders kubeadm would reject, and says so, when no credentials are given', () => {
    const content = renderKubeadmConfig(target(p, 'master-1')).content;
    expect(content).toMatch(/^# PLACEHOLDERS: /m);
    const join = byKind(content).get('JoinConfiguration') as any;
    expect(isBootstrapToken(join.discovery.bootstrapToken.token)).toBe(false);
    expect(isCaCertHash(join.discovery.bootstrapToken.caCertHashes[0])).toBe(false);
    expect(isCertificateKey(join.controlPlane.certificateKey)).toBe(false);
    expect(renderKubeadmConfig(target(p, 'master-1'), { join: { token: TOKEN, caCertHash: CA_HASH, certificateKey: CERT_KEY } }).content).not.toMatch(
      /PLACEHOLDERS/,
    );
  });

  it('refuses malformed credentials without echoing them', () => {
    const bad = { token: 'abcdef.SECRETSECRETSECR', caCertHash: 'sha256:xyz', certificateKey: 'k' };
    let message = '';
    try {
      renderKubeadmConfig(target(p, 'master-1'), { join: bad });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/bootstrap token is not of the form/);
    expect(message).toMatch(/CA certificate hash/);
    expect(message).toMatch(/certificate key/);
    expect(message).not.toContain('SECRET');
  });

  it('refuses a control-plane join without a certificate key', () => {
    expect(() => renderKubeadmConfig(target(p, 'master-1'), { join: { token: TOKEN, caCertHash: CA_HASH } })).toThrow(/needs the certificate key/);
  });
});

describe('IPv6 VIP', () => {
  const yaml = specYaml('v1.31.4', {
    vip: '"2001:db8::100/64"',
    nodes: `    - { name: master-0, address: "2001:db8::11", role: control-plane, interface: eth0 }
    - { name: worker-0, address: "2001:db8::21", role: worker }
`,
  });
  it('brackets the endpoint, quotes it, and adds ::1 to certSANs', () => {
    const spec = loadSpec(
      yaml.replace('  controlPlaneEndpoint:', '    podSubnet: "fd00:10:244::/56"\n    serviceSubnet: "fd00:10:96::/112"\n  controlPlaneEndpoint:'),
    ).spec;
    const p = planCluster(spec);
    const docs = byKind(renderKubeadmConfig(target(p, 'master-0')).content);
    expect((docs.get('ClusterConfiguration') as any).controlPlaneEndpoint).toBe('[2001:db8::100]:8443');
    expect(apiServerCertSANs(target(p, 'master-0'))).toEqual(['2001:db8::100', 'master-0', '2001:db8::11', '127.0.0.1', 'localhost', '::1']);
    const join = byKind(renderKubeadmConfig(target(p, 'worker-0')).content).get('JoinConfiguration') as any;
    expect(join.discovery.bootstrapToken.apiServerEndpoint).toBe('[2001:db8::100]:8443');
  });
});

describe('renderKubeadmOpsConfig', () => {
  const p = plan(specYaml('v1.31.4'));
  it('is an InitConfiguration + ClusterConfiguration of the runner with the TTL and the fresh key', () => {
    const file = renderKubeadmOpsConfig(target(p, 'master-1'), { certificateKey: CERT_KEY, bootstrapTokenTtlMs: 15 * 60_000 });
    expect(file.path).toBe(KUBEADM_OPS_CONFIG_PATH);
    expect(file.mode).toBe(0o600);
    expectGolden('v1beta4-ops-config/kubeadm-ops.yaml', file.content);
    const docs = byKind(file.content);
    expect([...docs.keys()]).toEqual(['InitConfiguration', 'ClusterConfiguration']);
    const init = docs.get('InitConfiguration') as any;
    expect(init.nodeRegistration.name).toBe('master-1');
    expect(init.certificateKey).toBe(CERT_KEY);
    expect(init.bootstrapTokens[0].ttl).toBe('15m0s');
    expect((docs.get('ClusterConfiguration') as any).kubernetesVersion).toBe('v1.31.4');
    expectKubeadmSchema(file.content, 'v1beta4');
  });
  it('refuses a worker as the runner', () => {
    expect(() => renderKubeadmOpsConfig(target(p, 'worker-0'))).toThrow(/control-plane/);
  });
});
