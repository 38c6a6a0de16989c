/**
 * The e2e runs the built daemons (dist/), as the packages would. `npm test` builds first; a direct vitest run of an
 * e2e file compiles here when any product source is newer than its output. tsc emits despite type errors elsewhere in
 * the tree, so someone else's work in progress does not block the run.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../kubeadm-sim/testing.js';

const SOURCE_DIRS = ['agent', 'coordinator', 'core', 'lib', 'proto', 'test/kubeadm-sim', 'test/sandbox', 'test/netns', 'test/kubelet-standin'];

function staleIn(dir: string): boolean {
  let entries: string[];
  try {
    entries = readdirSync(join(REPO_ROOT, dir));
  } catch {
    return false;
  }
  for (const name of entries) {
    const rel = join(dir, name);
    const abs = join(REPO_ROOT, rel);
    if (statSync(abs).isDirectory()) {
      if (name !== 'node_modules' && staleIn(rel)) return true;
      continue;
    }
    if (!name.endsWith('.ts') || name.endsWith('.test.ts') || name.endsWith('.d.ts')) continue;
    const out = join(REPO_ROOT, 'dist', rel.replace(/\.ts$/, '.js'));
    if (!existsSync(out) || statSync(out).mtimeMs < statSync(abs).mtimeMs) return true;
  }
  return false;
}

export function distIsStale(): boolean {
  return SOURCE_DIRS.some(staleIn);
}

export async function ensureBuilt(): Promise<void> {
  if (!distIsStale()) return;
  await new Promise<void>((resolve) => {
    execFile(
      process.execPath,
      [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(REPO_ROOT, 'tsconfig.json')],
      { cwd: REPO_ROOT, timeout: 300_000 },
      () => resolve(),
    );
  });
  if (!existsSync(join(REPO_ROOT, 'dist/agent/main.js')) || !existsSync(join(REPO_ROOT, 'dist/coordinator/main.js')))
    throw new Error('dist/ is missing after tsc: run npm run build');
}

/** The single-file agent executable as the packages ship it (packaging/README.md). */
export const PACKAGED_AGENT = join(REPO_ROOT, 'dist', 'bin', 'kubeadm-ha-agent');
/** What the agent bundle is built from (esbuild reads the sources, not dist/). */
const AGENT_BUNDLE_SOURCES = ['agent', 'core', 'lib', 'proto', 'package.json', 'packaging/lib'];
const PACKAGED_BUILD_TIMEOUT_MS = 300_000;
const BUILD_ATTEMPTS = 4;

function newestMtime(rel: string): number {
  const abs = join(REPO_ROOT, rel);
  let st;
  try {
    st = statSync(abs);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return rel.endsWith('.test.ts') ? 0 : st.mtimeMs;
  let newest = 0;
  for (const name of readdirSync(abs)) if (name !== 'node_modules') newest = Math.max(newest, newestMtime(join(rel, name)));
  return newest;
}

function buildBinaries(): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(REPO_ROOT, 'packaging', 'build.mjs'), '--binaries-only'],
      { cwd: REPO_ROOT, timeout: PACKAGED_BUILD_TIMEOUT_MS, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => resolve(err ? `${err.message}\n${stdout.slice(-2000)}\n${stderr.slice(-2000)}` : undefined),
    );
  });
}

/**
 * Rebuilds dist/bin/ (`node packaging/build.mjs --binaries-only`, about 15 s) when the agent executable is missing
 * or older than a source it is bundled from. dist/agent/main.js is no guide: tsc rewrites every output whenever
 * anything in the tree changed. The build copies over the executable in place, which fails with ETXTBSY while
 * someone runs it, so that is retried.
 */
export async function ensurePackagedAgent(): Promise<string> {
  if (existsSync(PACKAGED_AGENT) && statSync(PACKAGED_AGENT).mtimeMs >= Math.max(...AGENT_BUNDLE_SOURCES.map(newestMtime))) return PACKAGED_AGENT;
  let failure: string | undefined;
  for (let attempt = 1; attempt <= BUILD_ATTEMPTS; attempt++) {
    failure = await buildBinaries();
    if (failure === undefined || !failure.includes('ETXTBSY')) break;
    await new Promise((r) => setTimeout(r, 5000));
  }
  if (failure !== undefined) throw new Error(`building the packaged agent failed (node packaging/build.mjs --binaries-only): ${failure}`);
  if (!existsSync(PACKAGED_AGENT)) throw new Error(`${PACKAGED_AGENT} is missing after node packaging/build.mjs --binaries-only`);
  return PACKAGED_AGENT;
}
