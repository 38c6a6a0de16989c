/**
 * /etc/kubeadm-ha/kubeadm.yaml: master0 gets InitConfiguration + ClusterConfiguration + KubeletConfiguration +
 * KubeProxyConfiguration; every other node gets a JoinConfiguration alone (joining nodes read the rest from the
 * cluster). kubeadm.k8s.io/v1beta3 for Kubernetes 1.22–1.30, v1beta4 from 1.31, whose differences for what we set
 * are: extraArgs (etcd, kubelet) are `[{name, value}]` lists instead of maps, apiServer.timeoutForControlPlane moved to
 * InitConfiguration.timeouts.controlPlaneComponentHealthCheck and discovery.timeout to JoinConfiguration.timeouts.
 *
 * Every string is emitted JSON-quoted (a valid YAML double-quoted scalar), so an IPv6 `[fd00::1]:8443` endpoint or a
 * `sha256:…` hash can never change the document's structure, and numeric-looking extraArgs values stay strings as
 * kubeadm's map[string]string / Arg.Value require.
 */
import { formatGoDuration } from '../duration.js';
import { KubeadmHaError } from '../errors.js';
import { joinCredentialProblems, type JoinCredentials } from '../kubeadm/tokens.js';
import { controlPlaneEndpoint } from '../plan.js';
import type { KubernetesVersion } from '../spec.js';
import { renderTemplate } from './template.js';
import type { RenderedFile, RenderTarget } from './types.js';

export type { JoinCredentials } from '../kubeadm/tokens.js';

export const KUBEADM_CONFIG_PATH = '/etc/kubeadm-ha/kubeadm.yaml';
/** On whichever joined control-plane node mints join credentials: token create and upload-certs read it. */
export const KUBEADM_OPS_CONFIG_PATH = '/etc/kubeadm-ha/kubeadm-ops.yaml';
export const KUBEADM_CONFIG_MODE = 0o600;

export type KubeadmApiVersion = 'kubeadm.k8s.io/v1beta3' | 'kubeadm.k8s.io/v1beta4';

/** The first Kubernetes minor whose kubeadm reads v1beta3, and the first that writes v1beta4. */
export const V1BETA3_MIN_MINOR = 22;
export const V1BETA4_MIN_MINOR = 31;

export const DEFAULT_BOOTSTRAP_TOKEN_TTL_MS = 3_600_000;
export const DEFAULT_CONTROL_PLANE_TIMEOUT_MS = 4 * 60_000;
export const DEFAULT_DISCOVERY_TIMEOUT_MS = 5 * 60_000;
const ETCD_DATA_DIR = '/var/lib/etcd';
const NFTABLES_MIN_MINOR = 29;

/** Values kubeadm rejects (token and hash formats, a non-hex AES key) but that read clearly to a human. */
export const PLACEHOLDER_TOKEN = '<bootstrap token: written by the kubeadm-ha agent right before the join>';
export const PLACEHOLDER_CA_CERT_HASH = '<sha256 CA public key hash: written by the kubeadm-ha agent right before the join>';
export const PLACEHOLDER_CERTIFICATE_KEY = '<certificate key: written by the kubeadm-ha agent right before the join>';

export function kubeadmApiVersion(version: KubernetesVersion): KubeadmApiVersion {
  if (version.major !== 1 || version.minor < V1BETA3_MIN_MINOR) {
    throw new KubeadmHaError(
      `Kubernetes v${version.major}.${version.minor} is older than v1.${V1BETA3_MIN_MINOR}, the first kubeadm with kubeadm.k8s.io/v1beta3`,
    );
  }
  return version.minor >= V1BETA4_MIN_MINOR ? 'kubeadm.k8s.io/v1beta4' : 'kubeadm.k8s.io/v1beta3';
}

export interface KubeadmConfigOptions {
  /** Joining nodes: the credentials to write. Absent (offline render): clearly invalid placeholders. */
  readonly join?: JoinCredentials;
  /** master0: InitConfiguration.certificateKey, for `init --upload-certs` and `init phase upload-certs --config`. */
  readonly certificateKey?: string;
  /**
   * master0: bootstrapTokens[0].ttl. `kubeadm token create --config` takes the TTL from here, so this is the lifetime of
   * every join token minted from this file. Default one hour: tokens are minted per join and deleted after it.
   */
  readonly bootstrapTokenTtlMs?: number;
  readonly skipPhases?: readonly string[];
  /** How long kubeadm waits for the control-plane components to become healthy; default 4 minutes. */
  readonly controlPlaneTimeoutMs?: number;
  /** How long a joining node waits for discovery through the VIP; default 5 minutes. */
  readonly discoveryTimeoutMs?: number;
}

interface Arg {
  readonly name: string;
  readonly value: string;
}

/** The apiserver certificate must name every way clients reach it: the VIP, each control-plane node, and loopback. */
export function apiServerCertSANs(target: RenderTarget): string[] {
  const spec = target.plan.spec;
  const sans = [spec.controlPlaneEndpoint.vip];
  for (const n of target.plan.controlPlane) sans.push(n.name, n.address);
  sans.push('127.0.0.1', 'localhost');
  if (spec.controlPlaneEndpoint.vipFamily === 'ipv6') sans.push('::1');
  return [...new Set(sans)];
}

function etcdExtraArgs(target: RenderTarget): Arg[] {
  const etcd = target.plan.spec.kubernetes.etcd;
  const args: Arg[] = [];
  if (etcd?.heartbeatIntervalMs !== undefined) args.push({ name: 'heartbeat-interval', value: String(etcd.heartbeatIntervalMs) });
  if (etcd?.electionTimeoutMs !== undefined) args.push({ name: 'election-timeout', value: String(etcd.electionTimeoutMs) });
  return args;
}

function durationOption(name: string, ms: number | undefined, fallback: number): string {
  const value = ms ?? fallback;
  if (!Number.isInteger(value) || value < 1000) throw new KubeadmHaError(`kubeadm config: ${name} must be at least one second`);
  return formatGoDuration(value);
}

function kubeProxyContext(target: RenderTarget): { mode: string; nftablesFeatureGate: boolean } {
  const k = target.plan.spec.kubernetes;
  if (k.kubeProxyMode === 'nftables' && k.versionInfo.minor < NFTABLES_MIN_MINOR) {
    throw new KubeadmHaError(`kubeadm config: kube-proxy's nftables mode needs Kubernetes v1.${NFTABLES_MIN_MINOR} or newer, the spec has ${k.version}`);
  }
  return { mode: k.kubeProxyMode, nftablesFeatureGate: k.kubeProxyMode === 'nftables' && k.versionInfo.minor < V1BETA4_MIN_MINOR };
}

function versionSuffix(apiVersion: KubeadmApiVersion): 'v1beta3' | 'v1beta4' {
  return apiVersion === 'kubeadm.k8s.io/v1beta4' ? 'v1beta4' : 'v1beta3';
}

function initKubeadmDocuments(target: RenderTarget, apiVersion: KubeadmApiVersion, options: KubeadmConfigOptions, header: readonly string[]): string {
  const spec = target.plan.spec;
  const k = spec.kubernetes;
  if (options.certificateKey !== undefined && !/^[a-f0-9]{64}$/.test(options.certificateKey)) {
    throw new KubeadmHaError('kubeadm config: the certificate key is not 64 lowercase hex digits', { host: target.node.name });
  }
  return renderTemplate(`kubeadm/init.${versionSuffix(apiVersion)}.yaml.hbs`, {
    header,
    nodeName: target.node.name,
    clusterName: spec.name,
    bootstrapToken: {
      description: `kubeadm-ha join token for cluster ${spec.name}`,
      ttl: durationOption('the bootstrap token TTL', options.bootstrapTokenTtlMs, DEFAULT_BOOTSTRAP_TOKEN_TTL_MS),
    },
    criSocket: k.criSocket,
    kubeletExtraArgs: [{ name: 'node-ip', value: target.node.address }],
    advertiseAddress: target.node.address,
    bindPort: spec.controlPlaneEndpoint.apiserverPort,
    certificateKey: options.certificateKey ?? null,
    skipPhases: options.skipPhases ?? [],
    controlPlaneTimeout: durationOption('the control-plane timeout', options.controlPlaneTimeoutMs, DEFAULT_CONTROL_PLANE_TIMEOUT_MS),
    kubernetesVersion: k.version,
    controlPlaneEndpoint: controlPlaneEndpoint(spec),
    imageRepository: k.imageRepository,
    podSubnet: k.podSubnet,
    serviceSubnet: k.serviceSubnet,
    dnsDomain: k.dnsDomain,
    certSANs: apiServerCertSANs(target),
    etcdDataDir: ETCD_DATA_DIR,
    etcdExtraArgs: etcdExtraArgs(target),
  });
}

function renderInit(target: RenderTarget, apiVersion: KubeadmApiVersion, options: KubeadmConfigOptions): string {
  const k = target.plan.spec.kubernetes;
  const header = [
    `${KUBEADM_CONFIG_PATH} for ${target.node.name}, the first control-plane node of cluster ${target.plan.spec.name} (written by kubeadm-ha).`,
    'kubeadm init reads every document. Mode 0600: the InitConfiguration can carry the certificate key, which',
    'kubeadm refuses as --certificate-key next to --config.',
  ];
  const kubeadmDocs = initKubeadmDocuments(target, apiVersion, options, header);
  const kubelet = renderTemplate('kubeadm/kubelet-configuration.yaml.hbs', { cgroupDriver: k.cgroupDriver });
  const kubeProxy = renderTemplate('kubeadm/kube-proxy-configuration.yaml.hbs', kubeProxyContext(target));
  return [kubeadmDocs, kubelet, kubeProxy].join('---\n');
}

/**
 * The file `kubeadm token create --print-join-command --config` and `kubeadm init phase upload-certs --upload-certs
 * --config` read on a joined control-plane node (any of them: master0 may be gone). kubeadm refuses --ttl and
 * --certificate-key next to --config, so the token TTL is bootstrapTokens[0].ttl and the fresh key certificateKey here;
 * the ClusterConfiguration pins kubernetesVersion so kubeadm does not look it up on the internet, and the node name
 * stops kubeadm from validating the hostname instead. Write it right before use and delete it afterwards.
 */
export function renderKubeadmOpsConfig(target: RenderTarget, options: Pick<KubeadmConfigOptions, 'certificateKey' | 'bootstrapTokenTtlMs'> = {}): RenderedFile {
  if (target.node.role !== 'control-plane') {
    throw new KubeadmHaError('kubeadm ops config: join credentials are minted on a control-plane node', { host: target.node.name });
  }
  const apiVersion = kubeadmApiVersion(target.plan.spec.kubernetes.versionInfo);
  const header = [
    `${KUBEADM_OPS_CONFIG_PATH} on ${target.node.name} (written by kubeadm-ha, removed after use): read by`,
    '`kubeadm token create --config` (the token TTL below) and `kubeadm init phase upload-certs --config` (the',
    'certificate key below); kubeadm refuses --ttl and --certificate-key next to --config. Mode 0600.',
  ];
  return { path: KUBEADM_OPS_CONFIG_PATH, mode: KUBEADM_CONFIG_MODE, content: initKubeadmDocuments(target, apiVersion, options, header) };
}

function renderJoin(target: RenderTarget, apiVersion: KubeadmApiVersion, options: KubeadmConfigOptions): string {
  const spec = target.plan.spec;
  const controlPlane = target.node.role === 'control-plane';
  const join = options.join;
  if (join) {
    const problems = joinCredentialProblems(join);
    if (controlPlane && join.certificateKey === undefined) {
      problems.push('a control-plane join needs the certificate key of the kubeadm-certs Secret (kubeadm init phase upload-certs)');
    }
    if (problems.length > 0) throw new KubeadmHaError(`kubeadm config: join credentials: ${problems.join('; ')}`, { host: target.node.name });
  }
  return renderTemplate(`kubeadm/join.${versionSuffix(apiVersion)}.yaml.hbs`, {
    configPath: KUBEADM_CONFIG_PATH,
    nodeName: target.node.name,
    clusterName: spec.name,
    controlPlane,
    placeholders: join === undefined,
    criSocket: spec.kubernetes.criSocket,
    kubeletExtraArgs: [{ name: 'node-ip', value: target.node.address }],
    apiServerEndpoint: controlPlaneEndpoint(spec),
    token: join?.token ?? PLACEHOLDER_TOKEN,
    caCertHash: join?.caCertHash ?? PLACEHOLDER_CA_CERT_HASH,
    certificateKey: join?.certificateKey ?? PLACEHOLDER_CERTIFICATE_KEY,
    advertiseAddress: target.node.address,
    bindPort: spec.controlPlaneEndpoint.apiserverPort,
    skipPhases: options.skipPhases ?? [],
    controlPlaneTimeout: durationOption('the control-plane timeout', options.controlPlaneTimeoutMs, DEFAULT_CONTROL_PLANE_TIMEOUT_MS),
    discoveryTimeout: durationOption('the discovery timeout', options.discoveryTimeoutMs, DEFAULT_DISCOVERY_TIMEOUT_MS),
  });
}

/** The node's kubeadm.yaml: init documents for master0, a JoinConfiguration for everyone else. Always 0600. */
export function renderKubeadmConfig(target: RenderTarget, options: KubeadmConfigOptions = {}): RenderedFile {
  const apiVersion = kubeadmApiVersion(target.plan.spec.kubernetes.versionInfo);
  const content = target.node.isInitNode ? renderInit(target, apiVersion, options) : renderJoin(target, apiVersion, options);
  return { path: KUBEADM_CONFIG_PATH, mode: KUBEADM_CONFIG_MODE, content };
}
