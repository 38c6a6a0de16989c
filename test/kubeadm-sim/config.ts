/**
 * Reads kubeadm's multi-document configuration files (kubeadm.k8s.io v1beta3/v1beta4 plus the
 * kubelet and kube-proxy component configs) the way kubeadm v1.31 does: old API versions are
 * errors, v1beta3 is deprecated, unknown documents are ignored with a warning, and the fields the
 * simulator acts on are normalised. Pure: no I/O.
 */
import { parseAllDocuments } from 'yaml';
import { parseGoDuration } from './duration.js';

export class ConfigError extends Error {
  /** kubeadm exits 3 for field validation errors (an Aggregate), 1 otherwise. */
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'ConfigError';
    this.exitCode = exitCode;
  }
}

export interface BootstrapTokenConfig {
  token: string;
  /** null: never expires. */
  ttlMs: number | null;
  description: string;
  usages: string[];
  groups: string[];
}

export interface NodeRegistrationConfig {
  name: string;
  criSocket: string;
  ignorePreflightErrors: string[];
}

export interface APIEndpointConfig {
  advertiseAddress: string;
  bindPort: number;
}

export interface InitConfig {
  bootstrapTokens: BootstrapTokenConfig[];
  nodeRegistration: NodeRegistrationConfig;
  localAPIEndpoint: APIEndpointConfig;
  certificateKey: string;
  skipPhases: string[];
}

export interface Arg {
  name: string;
  value: string;
}

export interface ClusterConfig {
  clusterName: string;
  controlPlaneEndpoint: string;
  kubernetesVersion: string;
  imageRepository: string;
  podSubnet: string;
  serviceSubnet: string;
  dnsDomain: string;
  certSANs: string[];
  certificatesDir: string;
  encryptionAlgorithm: string;
  etcdDataDir: string;
  etcdExternal: boolean;
  etcdExtraArgs: Arg[];
  apiServerExtraArgs: Arg[];
}

export interface JoinConfig {
  bootstrapToken: { token: string; apiServerEndpoint: string; caCertHashes: string[]; unsafeSkipCAVerification: boolean } | null;
  discoveryFile: string;
  tlsBootstrapToken: string;
  nodeRegistration: NodeRegistrationConfig;
  controlPlane: { localAPIEndpoint: APIEndpointConfig; certificateKey: string } | null;
  caCertPath: string;
  skipPhases: string[];
}

export interface ParsedConfigFile {
  init: InitConfig | null;
  cluster: ClusterConfig | null;
  join: JoinConfig | null;
  /** The KubeletConfiguration document as written, for /var/lib/kubelet/config.yaml. */
  kubelet: Record<string, unknown> | null;
  kubeProxy: Record<string, unknown> | null;
  /** klog warning messages kubeadm would print (without the klog header). */
  warnings: string[];
}

export const DEFAULT_TOKEN_GROUPS = ['system:bootstrappers:kubeadm:default-node-token'];
export const DEFAULT_TOKEN_USAGES = ['signing', 'authentication'];
export const DEFAULT_TOKEN_TTL_MS = 24 * 3_600_000;

const OLD_API_VERSIONS: Record<string, string> = {
  'kubeadm.k8s.io/v1alpha1': 'v1.11',
  'kubeadm.k8s.io/v1alpha2': 'v1.12',
  'kubeadm.k8s.io/v1alpha3': 'v1.14',
  'kubeadm.k8s.io/v1beta1': 'v1.15',
  'kubeadm.k8s.io/v1beta2': 'v1.22',
};

const KUBEADM_KINDS = ['InitConfiguration', 'ClusterConfiguration', 'JoinConfiguration', 'ResetConfiguration', 'UpgradeConfiguration'];

type Obj = Record<string, unknown>;

const asObj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const asStr = (v: unknown, dflt = ''): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : dflt);
const asStrList = (v: unknown): string[] => (Array.isArray(v) ? v.map((x) => asStr(x)) : []);
const asBool = (v: unknown): boolean => v === true;

function asArgs(v: unknown): Arg[] {
  if (Array.isArray(v)) return v.map((x) => ({ name: asStr(asObj(x).name), value: asStr(asObj(x).value) }));
  return Object.entries(asObj(v)).map(([name, value]) => ({ name, value: asStr(value) }));
}

function nodeRegistration(v: unknown): NodeRegistrationConfig {
  const o = asObj(v);
  return { name: asStr(o.name), criSocket: asStr(o.criSocket), ignorePreflightErrors: asStrList(o.ignorePreflightErrors) };
}

function apiEndpoint(v: unknown): APIEndpointConfig {
  const o = asObj(v);
  const port = o.bindPort;
  return { advertiseAddress: asStr(o.advertiseAddress), bindPort: typeof port === 'number' ? port : 6443 };
}

function bootstrapTokens(v: unknown): BootstrapTokenConfig[] {
  if (!Array.isArray(v) || v.length === 0) {
    return [{ token: '', ttlMs: DEFAULT_TOKEN_TTL_MS, description: '', usages: [...DEFAULT_TOKEN_USAGES], groups: [...DEFAULT_TOKEN_GROUPS] }];
  }
  return v.map((raw) => {
    const o = asObj(raw);
    let ttlMs: number | null = DEFAULT_TOKEN_TTL_MS;
    if (o.ttl !== undefined) {
      const d = parseGoDuration(asStr(o.ttl));
      if (d === null) throw new ConfigError(`time: invalid duration ${JSON.stringify(asStr(o.ttl))}`);
      ttlMs = d === 0 ? null : d;
    }
    return {
      token: asStr(o.token),
      ttlMs,
      description: asStr(o.description),
      usages: o.usages === undefined ? [...DEFAULT_TOKEN_USAGES] : asStrList(o.usages),
      groups: o.groups === undefined ? [...DEFAULT_TOKEN_GROUPS] : asStrList(o.groups),
    };
  });
}

function initConfig(o: Obj): InitConfig {
  return {
    bootstrapTokens: bootstrapTokens(o.bootstrapTokens),
    nodeRegistration: nodeRegistration(o.nodeRegistration),
    localAPIEndpoint: apiEndpoint(o.localAPIEndpoint),
    certificateKey: asStr(o.certificateKey),
    skipPhases: asStrList(o.skipPhases),
  };
}

export function defaultInitConfig(): InitConfig {
  return initConfig({});
}

function clusterConfig(o: Obj): ClusterConfig {
  const networking = asObj(o.networking);
  const etcd = asObj(o.etcd);
  const local = asObj(etcd.local);
  return {
    clusterName: asStr(o.clusterName, 'kubernetes'),
    controlPlaneEndpoint: asStr(o.controlPlaneEndpoint),
    kubernetesVersion: asStr(o.kubernetesVersion),
    imageRepository: asStr(o.imageRepository, 'registry.k8s.io'),
    podSubnet: asStr(networking.podSubnet),
    serviceSubnet: asStr(networking.serviceSubnet, '10.96.0.0/12'),
    dnsDomain: asStr(networking.dnsDomain, 'cluster.local'),
    certSANs: asStrList(asObj(o.apiServer).certSANs),
    certificatesDir: asStr(o.certificatesDir, '/etc/kubernetes/pki'),
    encryptionAlgorithm: asStr(o.encryptionAlgorithm, 'RSA-2048'),
    etcdDataDir: asStr(local.dataDir, '/var/lib/etcd'),
    etcdExternal: etcd.external !== undefined,
    etcdExtraArgs: asArgs(local.extraArgs),
    apiServerExtraArgs: asArgs(asObj(o.apiServer).extraArgs),
  };
}

export function defaultClusterConfig(): ClusterConfig {
  return clusterConfig({});
}

function joinConfig(o: Obj): JoinConfig {
  const discovery = asObj(o.discovery);
  const bt = discovery.bootstrapToken === undefined ? null : asObj(discovery.bootstrapToken);
  const cp = o.controlPlane === undefined ? null : asObj(o.controlPlane);
  return {
    bootstrapToken: bt
      ? {
          token: asStr(bt.token),
          apiServerEndpoint: asStr(bt.apiServerEndpoint),
          caCertHashes: asStrList(bt.caCertHashes),
          unsafeSkipCAVerification: asBool(bt.unsafeSkipCAVerification),
        }
      : null,
    discoveryFile: asStr(asObj(discovery.file).kubeConfigPath),
    // kubeadm's SetDefaults_Discovery: an empty tlsBootstrapToken takes the discovery token.
    tlsBootstrapToken: asStr(discovery.tlsBootstrapToken) || (bt ? asStr(bt.token) : ''),
    nodeRegistration: nodeRegistration(o.nodeRegistration),
    controlPlane: cp ? { localAPIEndpoint: apiEndpoint(cp.localAPIEndpoint), certificateKey: asStr(cp.certificateKey) } : null,
    caCertPath: asStr(o.caCertPath, '/etc/kubernetes/pki/ca.crt'),
    skipPhases: asStrList(o.skipPhases),
  };
}

/** The minor version of a `vX.Y.Z` string. */
export function minorOf(version: string): number {
  const m = /^v?\d+\.(\d+)/.exec(version);
  return m ? Number(m[1]) : 0;
}

/**
 * Parses a kubeadm configuration file. `purpose` decides which documents are used and which are
 * ignored with a warning. Throws ConfigError with kubeadm's message.
 */
export function parseKubeadmConfig(text: string, purpose: 'init' | 'join' | 'reset', kubeadmVersion: string): ParsedConfigFile {
  const out: ParsedConfigFile = { init: null, cluster: null, join: null, kubelet: null, kubeProxy: null, warnings: [] };
  const docs = parseAllDocuments(text);
  const supportsV1beta4 = minorOf(kubeadmVersion) >= 31;
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      throw new ConfigError(`error converting YAML to JSON: yaml: ${doc.errors[0]?.message.split('\n')[0] ?? 'invalid document'}`);
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    const o = asObj(value);
    const apiVersion = asStr(o.apiVersion);
    const kind = asStr(o.kind);
    if (!apiVersion || !kind) {
      throw new ConfigError(
        `invalid configuration for GroupVersionKind ${apiVersion || '/'}, Kind=${kind}: kind and apiVersion is mandatory information that must be specified`,
      );
    }
    const gvk = `${apiVersion}, Kind=${kind}`;
    const old = OLD_API_VERSIONS[apiVersion];
    if (old) {
      throw new ConfigError(
        `your configuration file uses an old API spec: ${JSON.stringify(apiVersion)} (kind: ${JSON.stringify(kind)}). Please use kubeadm ${old} instead and run 'kubeadm config migrate --old-config old-config-file --new-config new-config-file', which will write the new, similar spec using a newer API version.`,
      );
    }
    if (apiVersion.startsWith('kubeadm.k8s.io/')) {
      const known = apiVersion === 'kubeadm.k8s.io/v1beta3' || (apiVersion === 'kubeadm.k8s.io/v1beta4' && supportsV1beta4);
      if (!known || !KUBEADM_KINDS.includes(kind) || (kind === 'UpgradeConfiguration' && apiVersion.endsWith('v1beta3'))) {
        throw new ConfigError(
          `no kind ${JSON.stringify(kind)} is registered for version ${JSON.stringify(apiVersion)} in scheme "k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm/scheme/scheme.go:31"`,
        );
      }
      if (apiVersion === 'kubeadm.k8s.io/v1beta3' && supportsV1beta4) {
        out.warnings.push(
          `your configuration file uses a deprecated API spec: ${JSON.stringify(apiVersion)} (kind: ${JSON.stringify(kind)}). Please use 'kubeadm config migrate --old-config old-config-file --new-config new-config-file', which will write the new, similar spec using a newer API version.`,
        );
      }
      if (purpose === 'init' && kind === 'InitConfiguration') out.init = initConfig(o);
      else if (purpose !== 'join' && kind === 'ClusterConfiguration') out.cluster = clusterConfig(o);
      else if (purpose === 'join' && kind === 'JoinConfiguration') out.join = joinConfig(o);
      else if (purpose === 'reset' && kind === 'ResetConfiguration') continue;
      else out.warnings.push(`[config] WARNING: Ignored configuration document with GroupVersionKind ${gvk}`);
      continue;
    }
    if (apiVersion === 'kubelet.config.k8s.io/v1beta1' && kind === 'KubeletConfiguration') {
      if (purpose === 'init') out.kubelet = o;
      continue;
    }
    if (apiVersion === 'kubeproxy.config.k8s.io/v1alpha1' && kind === 'KubeProxyConfiguration') {
      if (purpose === 'init') out.kubeProxy = o;
      continue;
    }
    out.warnings.push(`[config] WARNING: Ignored YAML document with GroupVersionKind ${gvk}`);
  }
  if (purpose === 'join' && !out.join) {
    throw new ConfigError('no JoinConfiguration kind was found in the YAML file');
  }
  return out;
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** ValidateNodeRegistration's name check; returns the field error text or null. */
export function validateNodeName(name: string, field: string): string | null {
  if (name.length <= 253 && DNS1123_SUBDOMAIN.test(name)) return null;
  return `${field}: Invalid value: ${JSON.stringify(name)}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`;
}

/** ValidateCertificateKey. */
export function validateCertificateKey(key: string, field: string): string | null {
  if (key === '') return null;
  if (!/^([0-9a-fA-F]{2})*$/.test(key)) {
    const bad = /[^0-9a-fA-F]/.exec(key);
    const detail = bad
      ? `encoding/hex: invalid byte: U+${(bad[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')} ${JSON.stringify(bad[0]).replace(/^"|"$/g, "'")}`
      : 'encoding/hex: odd length hex string';
    return `${field}: Invalid value: ${JSON.stringify(key)}: certificate key decoding error: ${detail}`;
  }
  const size = key.length / 2;
  if (size !== 32) return `${field}: Invalid value: ${JSON.stringify(key)}: invalid certificate key size ${size}, the key must be an AES key of size 32`;
  return null;
}

/** ValidateIPFromString. */
export function validateIP(ip: string, field: string): string | null {
  const v4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
  if (v4.test(ip) || (ip.includes(':') && /^[0-9a-fA-F:.]+$/.test(ip))) return null;
  return `${field}: Invalid value: ${JSON.stringify(ip)}: ip address is not valid`;
}

/** ValidatePort. */
export function validatePort(port: number, field: string): string | null {
  if (Number.isInteger(port) && port >= 1 && port <= 65535) return null;
  return `${field}: Invalid value: ${port}: port number is not valid`;
}

export const BOOTSTRAP_TOKEN_PATTERN = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;

/** bootstraptokenv1.NewBootstrapTokenString's error for a malformed token. */
export function tokenFormatError(token: string): string {
  return `the bootstrap token ${JSON.stringify(token)} was not of the form "^([a-z0-9]{6})\\\\.([a-z0-9]{16})$"`;
}
