/**
 * Helpers for tests that put the simulator on PATH: locate and (re)build it, run it with a
 * simulated host's environment, and stop every stand-in apiserver a test started.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';

const here = dirname(fileURLToPath(import.meta.url));

/** The repository root, from either test/kubeadm-sim or dist/test/kubeadm-sim. */
export const REPO_ROOT = resolve(here, here.includes(`${join('dist', 'test')}`) ? '../../..' : '../..');

/** Put this directory first on PATH to get `kubeadm` and `kubectl`. */
export const SIM_BIN_DIR = join(REPO_ROOT, 'test', 'kubeadm-sim', 'bin');

const SRC_DIR = join(REPO_ROOT, 'test', 'kubeadm-sim');
const DIST_DIR = join(REPO_ROOT, 'dist', 'test', 'kubeadm-sim');

function stale(): boolean {
  for (const f of readdirSync(SRC_DIR)) {
    if (!f.endsWith('.ts') || f.endsWith('.test.ts')) continue;
    const out = join(DIST_DIR, f.replace(/\.ts$/, '.js'));
    if (!existsSync(out) || statSync(out).mtimeMs < statSync(join(SRC_DIR, f)).mtimeMs) return true;
  }
  return false;
}

/**
 * Compiles the project when the simulator's output is missing or older than its sources. tsc
 * emits despite type errors elsewhere in the tree, so other people's work in progress does not
 * block the simulator.
 */
export async function ensureSimulatorBuilt(): Promise<void> {
  if (!stale()) return;
  await new Promise<void>((resolvePromise) => {
    execFile(
      process.execPath,
      [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(REPO_ROOT, 'tsconfig.json')],
      { cwd: REPO_ROOT, timeout: 300_000 },
      () => resolvePromise(),
    );
  });
  if (stale()) throw new Error(`kubeadm-sim: ${DIST_DIR} is still missing or stale after tsc`);
}

export interface SimRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `kubeadm` or `kubectl` from the simulator with the given environment additions. */
export function runSim(tool: 'kubeadm' | 'kubectl', args: string[], env: Record<string, string>, input?: string): Promise<SimRun> {
  return new Promise((resolvePromise) => {
    const child = execFile(join(SIM_BIN_DIR, tool), args, { env: { ...process.env, ...env }, timeout: 120_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolvePromise({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    if (input !== undefined) child.stdin?.end(input);
    else child.stdin?.end();
  });
}

/** Stops the stand-in apiservers whose pid files live under the given simulated roots. */
export function killSimApiservers(roots: string[]): void {
  for (const root of roots) {
    const f = join(root, 'run', 'kubeadm-sim', 'apiserver.pid');
    if (!existsSync(f)) continue;
    const pid = Number(readFileSync(f, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/**
 * A TCP port that was free on `address` a moment ago, chosen below the kernel's ephemeral range (32768–60999 by
 * default). Why: a port from `listen(0)` comes out of that range, and between our close and the child's bind any
 * outgoing connection of a test running in parallel may take it as its source port (CI once lost a haproxy test to
 * exactly that). Ports below the range are only ever taken by an explicit bind.
 */
export async function freePort(address = '127.0.0.1'): Promise<number> {
  const [low, high] = FREE_PORT_RANGE;
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low));
    if (await canListen(address, port)) return port;
  }
  throw new Error(`no free TCP port on ${address} in ${low}-${high} after 200 tries`);
}

const FREE_PORT_RANGE: readonly [number, number] = [20_000, 32_000];

function canListen(address: string, port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const srv = createServer();
    srv.once('error', () => resolvePromise(false));
    srv.listen({ port, host: address, exclusive: true }, () => srv.close(() => resolvePromise(true)));
  });
}
