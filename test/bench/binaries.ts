/**
 * Benchmark: the size of each single-file executable in dist/bin/ and, when `npm run package` has run, of each
 * package in dist/packages/. Missing executables are built first (`node packaging/build.mjs --binaries-only`).
 * Most of every executable is the stripped Node.js runtime (about 84 MiB for Node 20); the application bundle and its
 * V8 code cache are the rest, so the target leaves room for the application to grow, not for a second runtime.
 *
 * Run alone: `npx vite-node test/bench/binaries.ts` (prints a table, then the JSON).
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runWhenEntry, type BenchResult } from './result.js';

const BINARIES = ['kubeadm-ha-agent', 'kubeadm-ha-coordinator', 'coordinatorctl'] as const;
const BINARY_TARGET_MIB = 100;
const BUILD_TIMEOUT_MS = 10 * 60_000;

/** The checkout this file belongs to, whether it runs from test/bench/ or compiled from dist/test/bench/. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'kubeadm-ha') return dir;
    dir = dirname(dir);
  }
  throw new Error(`no kubeadm-ha checkout above ${fileURLToPath(import.meta.url)}`);
}

function buildBinaries(root: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      process.execPath,
      [join(root, 'packaging', 'build.mjs'), '--binaries-only'],
      { cwd: root, timeout: BUILD_TIMEOUT_MS, maxBuffer: 16 << 20 },
      (err, _stdout, stderr) => (err ? reject(new Error(`building the executables failed: ${stderr.trim() || err.message}`)) : resolvePromise()),
    );
  });
}

const mib = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;

export async function benchBinaries(): Promise<BenchResult> {
  const root = repoRoot();
  const binDir = join(root, 'dist', 'bin');
  if (BINARIES.some((name) => !existsSync(join(binDir, name)))) await buildBinaries(root);
  const rows: BenchResult['rows'] = BINARIES.map((name) => ({
    metric: `${name} executable`,
    value: mib(statSync(join(binDir, name)).size),
    unit: 'MiB',
    target: `≤ ${BINARY_TARGET_MIB} MiB`,
  }));
  const packagesDir = join(root, 'dist', 'packages');
  if (existsSync(packagesDir)) {
    for (const file of readdirSync(packagesDir)
      .filter((f) => f.endsWith('.deb') || f.endsWith('.rpm'))
      .sort()) {
      rows.push({ metric: file, value: mib(statSync(join(packagesDir, file)).size), unit: 'MiB' });
    }
  }
  return { name: 'binaries', rows };
}

await runWhenEntry(import.meta.url, benchBinaries);
