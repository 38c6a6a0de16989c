/**
 * Starting, probing and stopping a host's stand-in apiserver child process.
 */
import { spawn } from 'node:child_process';
import { request } from 'node:https';
import { existsSync, openSync, readFileSync, rmSync, unlinkSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostPath, sleep } from './env.js';

export const APISERVER_PID_FILE = '/run/kubeadm-sim/apiserver.pid';

const here = dirname(fileURLToPath(import.meta.url));

export interface SpawnInput {
  root: string;
  stateDir: string;
  nodeName: string;
  address: string;
  port: number;
  certFile: string;
  keyFile: string;
  gitVersion: string;
  /** KUBEADM_SIM_ETCD=real: keep objects in this etcd, as kube-apiserver's --etcd-* flags say (files on the test machine). */
  etcd?: { servers: string; caFile: string; certFile: string; keyFile: string };
}

/**
 * What started the host's apiserver, kept beside its pid file: the kubelet stand-in starts it again from this when
 * kube-apiserver.yaml comes back after being moved away (a real kubelet starts the container from the manifest). reset
 * deletes it with the pid file, so a node that left starts nothing.
 */
export const APISERVER_SPAWN_FILE = '/run/kubeadm-sim/apiserver.json';

/** The stand-in apiserver's command line (node, script, flags); APISERVER_SPAWN_FILE holds it as `{"argv": [...]}`. */
function apiserverArgv(i: SpawnInput): string[] {
  const pidFile = hostPath(i.root, APISERVER_PID_FILE);
  return [
    process.execPath,
    join(here, 'apiserver.js'),
    '--address',
    i.address,
    '--port',
    String(i.port),
    '--cert-file',
    i.certFile,
    '--key-file',
    i.keyFile,
    '--state-dir',
    i.stateDir,
    '--node',
    i.nodeName,
    '--pid-file',
    pidFile,
    '--git-version',
    i.gitVersion,
    ...(i.etcd ? ['--etcd-servers', i.etcd.servers, '--etcd-cafile', i.etcd.caFile, '--etcd-certfile', i.etcd.certFile, '--etcd-keyfile', i.etcd.keyFile] : []),
  ];
}

export function spawnApiserver(i: SpawnInput): void {
  const pidFile = hostPath(i.root, APISERVER_PID_FILE);
  mkdirSync(dirname(pidFile), { recursive: true });
  const argv = apiserverArgv(i);
  writeFileSync(hostPath(i.root, APISERVER_SPAWN_FILE), `${JSON.stringify({ argv })}\n`, { mode: 0o600 });
  const logFd = openSync(hostPath(i.root, '/run/kubeadm-sim/apiserver.log'), 'a');
  const [node, ...args] = argv;
  const child = spawn(node!, args, { detached: true, stdio: ['ignore', logFd, logFd] });
  child.unref();
}

/** One GET over TLS verified against `caPem`; resolves to the status code, or the error text. */
export function probe(address: string, port: number, path: string, caPem: string, timeoutMs = 2000): Promise<{ status: number } | { error: string }> {
  return new Promise((resolve) => {
    const req = request({ host: address, port, path, method: 'GET', ca: caPem, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
    });
    req.on('timeout', () => req.destroy(new Error('context deadline exceeded')));
    req.on('error', (e) => resolve({ error: e.message }));
    req.end();
  });
}

/** Polls /healthz until it answers 200; returns the elapsed ms, or the last error. */
export async function waitHealthy(
  address: string,
  port: number,
  caPem: string,
  timeoutMs: number,
): Promise<{ ok: true; elapsedMs: number } | { ok: false; error: string }> {
  const start = Date.now();
  let last = 'no answer';
  while (Date.now() - start < timeoutMs) {
    const r = await probe(address, port, '/healthz', caPem, 1000);
    if ('status' in r && r.status === 200) return { ok: true, elapsedMs: Date.now() - start };
    last = 'status' in r ? `status ${r.status}` : r.error;
    await sleep(50);
  }
  return { ok: false, error: last };
}

export function apiserverPid(root: string): number | null {
  const f = hostPath(root, APISERVER_PID_FILE);
  if (!existsSync(f)) return null;
  const pid = Number(readFileSync(f, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops the host's stand-in apiserver (if any) and waits until it is gone. */
export async function stopApiserver(root: string): Promise<void> {
  const pid = apiserverPid(root);
  const f = hostPath(root, APISERVER_PID_FILE);
  if (pid !== null && isAlive(pid)) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // exited meanwhile
    }
    for (let i = 0; i < 100 && isAlive(pid); i++) await sleep(20);
    if (isAlive(pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // exited meanwhile
      }
    }
  }
  if (existsSync(f)) unlinkSync(f);
  rmSync(hostPath(root, APISERVER_SPAWN_FILE), { force: true });
}

/**
 * Without a kubelet stand-in (loopback labs), an upgraded kube-apiserver manifest restarts nothing by itself: the
 * simulated kubeadm stops the stand-in apiserver and starts it again from its recorded command line with the new
 * `--git-version`, so that /version reports the upgrade.
 */
export async function restartApiserverWithVersion(root: string, version: string): Promise<void> {
  const file = hostPath(root, APISERVER_SPAWN_FILE);
  if (!existsSync(file)) return;
  const { argv } = JSON.parse(readFileSync(file, 'utf8')) as { argv: string[] };
  const at = argv.indexOf('--git-version');
  if (at >= 0) argv[at + 1] = version;
  await stopApiserver(root);
  writeFileSync(file, `${JSON.stringify({ argv })}\n`, { mode: 0o600 });
  const logFd = openSync(hostPath(root, '/run/kubeadm-sim/apiserver.log'), 'a');
  const [node, ...args] = argv;
  spawn(node!, args, { detached: true, stdio: ['ignore', logFd, logFd] }).unref();
  for (let i = 0; i < 100 && apiserverPid(root) === null; i++) await sleep(50);
}
