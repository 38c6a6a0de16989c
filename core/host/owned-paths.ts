/**
 * What the agent may write and remove on its host for the coordinator: the allow-list, and the rules for paths and
 * modes that both programs check.
 *
 * Who may cause a write: only the coordinator, over the agent's mTLS session, with the writeFiles task (its `files`
 * and `removePaths`; agent/tasks/write-files.ts). The agent runs as root, so without this list whoever controls the
 * coordinator could write /etc/shadow, drop a job in /etc/cron.d, plant a setuid binary or `rm -rf /etc`.
 * What it can reach: only the files below, which the renderers in core/render and the removal and reset phases
 * produce, and files below /etc/kubeadm-ha (except agent.yaml, the operator's). Nothing else, whatever the task says.
 *
 * This narrows the channel; it does not make the coordinator harmless. Static pod manifests, the kubelet unit and the
 * kubeadm config it may write are root-equivalent by nature (a pod may mount `/`). What the list stops is everything
 * else: any other file, any mode with setuid, setgid, sticky or world-write, secrets left readable, and `..` tricks.
 *
 * The agent checks every task against this (the authority); the coordinator checks its own tasks before it sends them
 * (workflow/host-tasks.ts), so a renderer that drifts off the list fails in a unit test, not on a host.
 */
import { AuthError } from '../errors.js';
import { KUBELET_DROP_IN_PATH, KUBELET_UNIT_PATH } from '../render/host.js';
import { KUBEADM_CONFIG_PATH, KUBEADM_OPS_CONFIG_PATH } from '../render/kubeadm-config.js';
import { LOAD_BALANCER_PATHS } from '../render/load-balancer.js';
import { MODULES_LOAD_PATH, SYSCTL_PATH } from './kernel.js';
import { AGENT_CONFIG_PATH, KEEPALIVED_CONF_PATH, KUBEADM_HA_CONFIG_DIR, KUBELET_REGISTRY_AUTH_PATH, LB_SPEC_PATH } from './paths.js';

/** Single files the coordinator may write or remove: the load balancer's, and what host preparation writes. */
export const OWNED_FILES: readonly string[] = Object.freeze([
  // keepalived and haproxy, systemd or static pod, and the load balancer's static pods (every mode's); kubeadm's own
  // manifests (etcd, apiserver, …) are not ours
  ...LOAD_BALANCER_PATHS,
  // host preparation
  KUBELET_REGISTRY_AUTH_PATH,
  KUBELET_DROP_IN_PATH,
  KUBELET_UNIT_PATH,
  MODULES_LOAD_PATH,
  SYSCTL_PATH,
]);

/**
 * Directories whose whole content is ours: kubeadm configs, cleanup.sh, the parked manifests, the old cluster.json. The
 * directory itself is not (it holds the operator's agent.yaml).
 */
export const OWNED_DIRS: readonly string[] = Object.freeze([KUBEADM_HA_CONFIG_DIR]);

/** Inside an owned directory but the operator's: the agent's own configuration (coordinator address, pin, token). */
export const NOT_OWNED: readonly string[] = Object.freeze([AGENT_CONFIG_PATH]);

/**
 * Files that can hold a secret (registry credentials, join tokens and certificate keys, keepalived's auth_pass, the
 * old cluster.json with authPass), plus everything under an owned directory: only root may read them, 0600.
 */
export const SECRET_FILES: readonly string[] = Object.freeze([
  KUBELET_REGISTRY_AUTH_PATH,
  KEEPALIVED_CONF_PATH,
  KUBEADM_CONFIG_PATH,
  KUBEADM_OPS_CONFIG_PATH,
  LB_SPEC_PATH,
]);

/** The kubeadm configs tasks may name: kubeadm init/join/token/upload-certs read nothing else. */
export const KUBEADM_CONFIG_PATHS: readonly string[] = Object.freeze([KUBEADM_CONFIG_PATH, KUBEADM_OPS_CONFIG_PATH]);

/** setuid, setgid and sticky: a setuid root file is a root shell for anyone; none of ours needs any of them. */
const SPECIAL_BITS = 0o7000;
const WORLD_WRITE = 0o002;
const GROUP_OTHER = 0o077;

function refuse(path: string, why: string): never {
  throw new AuthError(`refusing ${JSON.stringify(path)}: ${why}`);
}

/**
 * A host-absolute path in its one spelling: `//` and `.` segments and a trailing `/` dropped. A `..` segment is refused,
 * never resolved: under a host root it would climb out of it, and no path of ours needs one.
 */
export function normaliseHostPath(path: string): string {
  if (typeof path !== 'string' || path.length === 0) refuse(String(path), 'not a path');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused here
  if (/[\u0000-\u001f\u007f]/.test(path)) refuse(path, 'control characters in a path');
  if (!path.startsWith('/')) refuse(path, 'not a host-absolute path');
  const segments = path.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) refuse(path, 'a ".." segment');
  return `/${segments.join('/')}`;
}

function isBelow(path: string, dir: string): boolean {
  return path.startsWith(`${dir}/`);
}

/** Whether the coordinator may write or remove `path` (already normalised). */
export function isOwnedPath(path: string): boolean {
  if (NOT_OWNED.includes(path)) return false;
  return OWNED_FILES.includes(path) || OWNED_DIRS.some((d) => isBelow(path, d));
}

/** The normalised path, when the coordinator may write or remove it; an AuthError naming it otherwise. */
export function checkOwnedPath(path: string): string {
  const normal = normaliseHostPath(path);
  if (!isOwnedPath(normal)) {
    refuse(path, `not a file kubeadm-ha writes (allowed: ${OWNED_FILES.join(', ')} and files below ${OWNED_DIRS.map((d) => `${d}/`).join(', ')})`);
  }
  return normal;
}

/**
 * Any file the agent writes, ours or not: permission bits only, no setuid, setgid or sticky bit, not world-writable.
 * Refused rather than masked, so a caller that asked for one learns it.
 */
export function checkFileMode(path: string, mode: number): number {
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) refuse(path, `mode ${String(mode)} is not a file mode`);
  if (mode & SPECIAL_BITS) refuse(path, `mode 0${mode.toString(8)} carries setuid, setgid or sticky bits`);
  if (mode & WORLD_WRITE) refuse(path, `mode 0${mode.toString(8)} is world-writable`);
  return mode;
}

/** Whether `path` (normalised) may hold a secret and so must be readable by root alone. */
export function isSecretPath(path: string): boolean {
  return SECRET_FILES.includes(path) || OWNED_DIRS.some((d) => isBelow(path, d));
}

/** checkFileMode, and 0600 at most for a file that can hold a secret. */
export function checkOwnedMode(path: string, mode: number): number {
  checkFileMode(path, mode);
  if (isSecretPath(normaliseHostPath(path)) && mode & GROUP_OTHER)
    refuse(path, `mode 0${mode.toString(8)} lets others read it, and it can hold secrets (0600)`);
  return mode;
}

/** One writeFiles task, checked whole before anything is touched: every path owned, every mode safe. */
export function checkHostWrite(files: readonly { readonly path: string; readonly mode: number }[], removePaths: readonly string[] = []): void {
  for (const f of files) checkOwnedMode(checkOwnedPath(f.path), f.mode);
  for (const p of removePaths) checkOwnedPath(p);
}

/** The kubeadm config a task names: one of ours, so kubeadm never reads a file the coordinator did not write. */
export function checkKubeadmConfigPath(path: string): string {
  const normal = normaliseHostPath(path);
  if (!KUBEADM_CONFIG_PATHS.includes(normal)) refuse(path, `not a kubeadm config of ours (${KUBEADM_CONFIG_PATHS.join(', ')})`);
  return normal;
}
