/**
 * The simulator's process environment: where the simulated host's root and the cluster state
 * live, the knobs tests turn, host path mapping, output helpers and the invocation log.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync, writeSync, chmodSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { hostname } from 'node:os';
import { KEY_ALGORITHMS, type KeyAlgorithm } from './key-algorithms.js';
import { klogLine, withStackHint } from './output.js';

/** A failure of the simulated command: printed as kubeadm prints errors, then the process exits. */
export class SimFailure extends Error {
  readonly exitCode: number;
  /** Printed verbatim instead of the message plus the stack-trace hint (cobra usage errors of kubectl). */
  readonly rawOutput?: string;
  constructor(message: string, exitCode = 1, rawOutput?: string) {
    super(message);
    this.name = 'SimFailure';
    this.exitCode = exitCode;
    this.rawOutput = rawOutput;
  }
}

/** Wraps an error the way the kubeadm workflow runner does. */
export function phaseFailure(phase: string, message: string, exitCode = 1): SimFailure {
  return new SimFailure(`error execution phase ${phase}: ${message}`, exitCode);
}

export interface SimEnv {
  root: string;
  stateDir: string;
  logPath: string;
  version: string;
  certKeyTtlMs: number;
  delayInitMs: number;
  delayJoinControlPlaneMs: number;
  delayJoinWorkerMs: number;
  apiserverMode: 'spawn' | 'off';
  /** Overrides the cluster's key algorithm for speed in tests; the product never sets it. */
  keyAlgorithmOverride: KeyAlgorithm | null;
  apiserverWaitMs: number;
  /** `state`: join validates discovery against the state; `network`: it fetches cluster-info from the endpoint over HTTPS. */
  discovery: 'state' | 'network';
  /**
   * `state`: etcd members exist only in the state file. `real`: the etcd.yaml static Pod runs for real under the
   * kubelet stand-in (network namespaces), joins and resets change membership through the etcd API, and the
   * stand-in apiserver keeps its objects in etcd.
   */
  etcd: 'state' | 'real';
  /** How long init and join wait for etcd (health, learner promotion, cluster availability). */
  etcdWaitMs: number;
}

function intEnv(name: string, dflt: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new SimFailure(`kubeadm-sim: ${name}=${JSON.stringify(v)} is not a non-negative number`);
  return n;
}

function discoveryMode(): 'state' | 'network' {
  const v = process.env.KUBEADM_SIM_DISCOVERY || 'state';
  if (v !== 'state' && v !== 'network') throw new SimFailure(`kubeadm-sim: KUBEADM_SIM_DISCOVERY must be "state" or "network", got ${JSON.stringify(v)}`);
  return v;
}

function etcdMode(): 'state' | 'real' {
  const v = process.env.KUBEADM_SIM_ETCD || 'state';
  if (v !== 'state' && v !== 'real') throw new SimFailure(`kubeadm-sim: KUBEADM_SIM_ETCD must be "state" or "real", got ${JSON.stringify(v)}`);
  return v;
}

/**
 * What the host's package manager installed (the apt-get/apt-mark/dnf stand-ins in test/host-stubs write it):
 * `$ROOT/var/lib/kubeadm-sim/packages/<package>` holds `1.32.0`; `<package>.hold` marks a held package.
 */
export const PACKAGES_DIR = '/var/lib/kubeadm-sim/packages';

/** The installed version of a package on the host (`v1.32.0`), or undefined when the stand-ins never installed it. */
export function installedVersion(root: string, pkg: 'kubeadm' | 'kubelet'): string | undefined {
  const text = readHostFile(root, `${PACKAGES_DIR}/${pkg}`)?.trim();
  return text ? `v${text.replace(/^v/, '')}` : undefined;
}

export function readEnv(): SimEnv {
  const root = process.env.KUBEADM_SIM_ROOT;
  const stateDir = process.env.KUBEADM_SIM_STATE;
  if (!root) throw new SimFailure('kubeadm-sim: KUBEADM_SIM_ROOT must be set to the simulated host root directory');
  if (!stateDir) throw new SimFailure('kubeadm-sim: KUBEADM_SIM_STATE must be set to the shared cluster state directory');
  const mode = process.env.KUBEADM_SIM_APISERVER ?? 'spawn';
  if (mode !== 'spawn' && mode !== 'off') throw new SimFailure(`kubeadm-sim: KUBEADM_SIM_APISERVER must be "spawn" or "off", got ${JSON.stringify(mode)}`);
  const alg = process.env.KUBEADM_SIM_KEY_ALGORITHM;
  if (alg && !KEY_ALGORITHMS.includes(alg as KeyAlgorithm))
    throw new SimFailure(`kubeadm-sim: KUBEADM_SIM_KEY_ALGORITHM must be one of ${KEY_ALGORITHMS.join(', ')}`);
  return {
    root,
    stateDir,
    logPath: process.env.KUBEADM_SIM_LOG || join(stateDir, 'invocations.jsonl'),
    // The kubeadm binary's own version: what the host's package manager installed, else the lab's default.
    version: installedVersion(root, 'kubeadm') ?? (process.env.KUBEADM_SIM_VERSION || 'v1.31.4'),
    certKeyTtlMs: intEnv('KUBEADM_SIM_CERT_KEY_TTL_MS', 7_200_000),
    delayInitMs: intEnv('KUBEADM_SIM_DELAY_INIT_MS', 0),
    delayJoinControlPlaneMs: intEnv('KUBEADM_SIM_DELAY_JOIN_CP_MS', 0),
    delayJoinWorkerMs: intEnv('KUBEADM_SIM_DELAY_JOIN_WORKER_MS', 0),
    apiserverMode: mode,
    keyAlgorithmOverride: (alg as KeyAlgorithm | undefined) || null,
    apiserverWaitMs: intEnv('KUBEADM_SIM_APISERVER_WAIT_MS', 20_000),
    discovery: discoveryMode(),
    etcd: etcdMode(),
    etcdWaitMs: intEnv('KUBEADM_SIM_ETCD_WAIT_MS', 40_000),
  };
}

/** Maps an absolute host path (`/etc/kubernetes/admin.conf`) under the simulated root. */
export function hostPath(root: string, p: string): string {
  return join(root, p.startsWith('/') ? p : `/${p}`);
}

export function writeHostFile(root: string, p: string, content: string | Buffer, mode = 0o644): void {
  const full = hostPath(root, p);
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, content, { mode });
  chmodSync(full, mode);
}

export function readHostFile(root: string, p: string): string | null {
  const full = hostPath(root, p);
  return existsSync(full) ? readFileSync(full, 'utf8') : null;
}

/** The simulated host's name: $ROOT/etc/hostname when present (each simulated host has its own), else the machine's. */
export function simulatedHostname(root: string): string {
  const fromRoot = readHostFile(root, '/etc/hostname');
  return (fromRoot?.trim() || hostname()).toLowerCase();
}

/** Writes synchronously so stdout and stderr interleave as the real tool's do; a closed pipe ends output quietly. */
function writeAll(fd: number, s: string): void {
  try {
    writeSync(fd, s);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPIPE') throw e;
  }
}

export const out = (s: string): void => writeAll(1, s);

export const err = (s: string): void => writeAll(2, s);

export function warn(where: string, message: string): void {
  err(klogLine('W', where, message, new Date(), process.pid));
}

export function printFailure(f: SimFailure): void {
  if (f.rawOutput !== undefined) err(f.rawOutput);
  else err(withStackHint(f.message));
}

export interface InvocationRecord {
  tool: 'kubeadm' | 'kubectl';
  ts_start: number;
  ts_end: number;
  host: string | null;
  root: string;
  argv: string[];
  exitCode: number;
  /** Secrets this invocation used (token, certificate key), for tests to check freshness; this log is a test artifact. */
  details?: Record<string, string>;
}

/** Filled by the commands while they run; logged with the invocation. */
export const invocationDetails: Record<string, string> = {};

/** One JSON line per invocation; a single O_APPEND write keeps parallel writers' lines whole. */
export function logInvocation(logPath: string, rec: InvocationRecord): void {
  mkdirSync(dirname(logPath), { recursive: true });
  // The log keeps tokens and certificate keys verbatim for the tests: owner-only.
  appendFileSync(logPath, JSON.stringify(rec) + '\n', { mode: 0o600 });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
