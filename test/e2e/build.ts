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
    execFile(process.execPath, [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(REPO_ROOT, 'tsconfig.json')], { cwd: REPO_ROOT, timeout: 300_000 }, () => resolve());
  });
  if (!existsSync(join(REPO_ROOT, 'dist/agent/main.js')) || !existsSync(join(REPO_ROOT, 'dist/coordinator/main.js'))) throw new Error('dist/ is missing after tsc: run npm run build');
}
