/**
 * kubeadm command lines as argv arrays (argv[0] is `kubeadm`), never shell strings, so no value is ever re-parsed by a
 * shell. Two rules from kubeadm shape them:
 *
 * - `validation.ValidateMixedArguments` (cmd/kubeadm/app/apis/kubeadm/validation) refuses most flags next to
 *   `--config`: only config, ignore-preflight-errors, dry-run, kubeconfig, node-name, kubeconfig-dir, upload-certs,
 *   print-join-command, rootfs, v, log-file and `skip-*` may accompany it. So `--certificate-key` (upload-certs phase,
 *   kubernetes/kubernetes#78542, #87229) and `--ttl` (token create) cannot be combined with `--config`; their values go
 *   into the config file instead: `InitConfiguration.certificateKey` and `InitConfiguration.bootstrapTokens[0].ttl`
 *   (see core/render/kubeadm-config.ts).
 * - Secrets stay out of argv: /proc/<pid>/cmdline is world-readable. Join credentials travel in the 0600 config file.
 *   Logging argv goes through redactArgv (core/redact.ts) all the same.
 */
import { formatGoDuration } from '../duration.js';
import { KubeadmHaError } from '../errors.js';
import type { Role } from '../spec.js';
import { bootstrapTokenId } from './tokens.js';

export type Argv = readonly string[];

export const KUBEADM = 'kubeadm';

/** The keepalived/haproxy (or kube-vip) static pods are in place before a control-plane node joins. */
export const IGNORE_MANIFESTS_DIR = 'DirAvailable--etc-kubernetes-manifests';

function checkedValue(what: string, value: string): string {
  // A value that starts with a dash would be read as a flag by pflag.
  if (value.length === 0 || value.startsWith('-')) throw new KubeadmHaError(`kubeadm argv: ${what} must be a non-empty value that does not start with "-"`);
  return value;
}

/** A kubeadm preflight check name (`DirAvailable--etc-kubernetes-manifests`, `Swap`): no comma, no flag, nothing else. */
function checkedPreflightCheck(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(name)) throw new KubeadmHaError(`kubeadm argv: ${JSON.stringify(name)} is not a preflight check name`);
  return name;
}

export interface InitArgvOptions {
  /** Keep the certificate key out of init's stdout; use it when InitConfiguration.certificateKey was set by us. */
  readonly skipCertificateKeyPrint?: boolean;
  /** Keep the bootstrap token out of init's stdout. */
  readonly skipTokenPrint?: boolean;
}

/** `kubeadm init --config F --upload-certs`: master0, with the control-plane certificates uploaded for the joins. */
export function initArgv(configPath: string, options: InitArgvOptions = {}): Argv {
  return [
    KUBEADM,
    'init',
    '--config',
    checkedValue('the config path', configPath),
    '--upload-certs',
    ...(options.skipCertificateKeyPrint ? ['--skip-certificate-key-print'] : []),
    ...(options.skipTokenPrint ? ['--skip-token-print'] : []),
  ];
}

/**
 * `kubeadm init phase upload-certs --upload-certs --config F`: re-encrypts the control-plane certificates into the
 * kubeadm-certs Secret (which expires after 2 h) right before a control-plane join. The fresh key must already be in
 * the file's InitConfiguration.certificateKey: kubeadm rejects `--certificate-key` together with `--config`, and
 * without `--config` kubeadm would look the Kubernetes version up on the internet and validate the hostname.
 */
export function uploadCertsArgv(configPath: string, options: { skipCertificateKeyPrint?: boolean } = {}): Argv {
  return [
    KUBEADM,
    'init',
    'phase',
    'upload-certs',
    '--upload-certs',
    '--config',
    checkedValue('the config path', configPath),
    ...(options.skipCertificateKeyPrint ? ['--skip-certificate-key-print'] : []),
  ];
}

export type TokenCreateOptions =
  /** The TTL comes from the file's InitConfiguration.bootstrapTokens[0].ttl (kubeadm refuses --ttl next to --config). */
  | { readonly configPath: string }
  /** Without a config kubeadm validates the hostname as the node name; use only where the hostname is a DNS-1123 label. */
  | { readonly ttlMs: number; readonly description?: string };

/** `kubeadm token create --print-join-command` with either `--config F` or `--ttl D`, never both. */
export function tokenCreateArgv(options: TokenCreateOptions): Argv {
  if ('configPath' in options) {
    return [KUBEADM, 'token', 'create', '--print-join-command', '--config', checkedValue('the config path', options.configPath)];
  }
  if (!Number.isInteger(options.ttlMs) || options.ttlMs < 1000) throw new KubeadmHaError('kubeadm argv: the token TTL must be at least one second');
  return [
    KUBEADM,
    'token',
    'create',
    '--print-join-command',
    '--ttl',
    formatGoDuration(options.ttlMs),
    ...(options.description !== undefined ? ['--description', checkedValue('the token description', options.description)] : []),
  ];
}

/** `kubeadm token delete ID`: given a whole token, only its public ID reaches argv. */
export function tokenDeleteArgv(tokenOrId: string): Argv {
  return [KUBEADM, 'token', 'delete', bootstrapTokenId(tokenOrId)];
}

/**
 * `kubeadm join --config F`: endpoint, token, CA hash and certificate key are all in the 0600 file. Control-plane
 * joins ignore the non-empty manifests directory because our load-balancer static pods are already there; workers keep
 * the check, since anything in their manifests directory is a leftover worth stopping for.
 */
export function joinArgv(configPath: string, role: Role, ignorePreflightErrors: readonly string[] = []): Argv {
  const ignored = [...(role === 'control-plane' ? [IGNORE_MANIFESTS_DIR] : []), ...ignorePreflightErrors.map(checkedPreflightCheck)];
  return [
    KUBEADM,
    'join',
    '--config',
    checkedValue('the config path', configPath),
    ...(ignored.length > 0 ? [`--ignore-preflight-errors=${ignored.join(',')}`] : []),
  ];
}

/** `kubeadm reset -f`; naming the CRI socket avoids "found multiple CRI endpoints" on hosts with two runtimes. */
export function resetArgv(options: { criSocket?: string } = {}): Argv {
  return [KUBEADM, 'reset', '-f', ...(options.criSocket !== undefined ? ['--cri-socket', checkedValue('the CRI socket', options.criSocket)] : [])];
}

/** `kubeadm version -o short`: prints `v1.31.4`. */
export function versionArgv(): Argv {
  return [KUBEADM, 'version', '-o', 'short'];
}

/** `kubeadm certs certificate-key`: prints a fresh random 64-hex key and touches nothing else. */
export function certificateKeyArgv(): Argv {
  return [KUBEADM, 'certs', 'certificate-key'];
}

/** `kubeadm certs check-expiration`: the table of every certificate kubeadm manages on this node (read-only). */
export function certsCheckExpirationArgv(): Argv {
  return [KUBEADM, 'certs', 'check-expiration'];
}

/**
 * `kubeadm certs renew all`: every certificate kubeadm manages here, renewed with the local CAs (new key, same
 * identity). The components keep using the old ones until they restart.
 */
export function certsRenewAllArgv(): Argv {
  return [KUBEADM, 'certs', 'renew', 'all'];
}

/** A release version kubeadm takes as an argument: `v1.32.0` (no pre-release: the product upgrades to releases only). */
export function checkReleaseVersion(version: string): string {
  if (!/^v\d+\.\d+\.\d+$/.test(version)) throw new KubeadmHaError(`kubeadm argv: ${JSON.stringify(version.slice(0, 40))} is not a release version vX.Y.Z`);
  return version;
}

/** `kubeadm upgrade plan VERSION`: read-only; whether kubeadm would upgrade the cluster to VERSION, and what. */
export function upgradePlanArgv(version: string): Argv {
  return [KUBEADM, 'upgrade', 'plan', checkReleaseVersion(version)];
}

/** `kubeadm upgrade apply VERSION --yes`: the first control-plane node; renews its certificates as it goes. */
export function upgradeApplyArgv(version: string): Argv {
  return [KUBEADM, 'upgrade', 'apply', checkReleaseVersion(version), '--yes'];
}

/** `kubeadm upgrade node`: every other node, to the version the cluster's kubeadm-config now names. */
export function upgradeNodeArgv(): Argv {
  return [KUBEADM, 'upgrade', 'node'];
}
