/** The commit stamp on a throwaway repository: `-dirty` exactly when a tracked file differs from HEAD. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dirtyFiles, resolveCommit } from './lib/build-info.mjs';

describe('resolveCommit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeadm-ha-stamp-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const git = (...args: string[]) => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8' }).trim();

  it('is the short HEAD on a clean tree, even with untracked files and a rewritten-but-equal file; -dirty names its cause', () => {
    git('init', '--quiet');
    writeFileSync(join(dir, 'generated.ts'), 'export const A = 1;\n');
    git('add', 'generated.ts');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'commit', '--quiet', '-m', 'x');
    const head = git('rev-parse', '--short=12', 'HEAD');
    const env = {};
    expect(resolveCommit(dir, env)).toBe(head);
    // What `npm run build` does before the packaging build: generators rewrite committed files with equal content.
    writeFileSync(join(dir, 'generated.ts'), 'export const A = 1;\n');
    symlinkSync(tmpdir(), join(dir, 'node_modules'));
    writeFileSync(join(dir, 'scratch.log'), 'x\n');
    expect(resolveCommit(dir, env)).toBe(head);
    expect(dirtyFiles(dir)).toEqual([]);
    writeFileSync(join(dir, 'generated.ts'), 'export const A = 2;\n');
    expect(resolveCommit(dir, env)).toBe(`${head}-dirty`);
    expect(dirtyFiles(dir)).toEqual(['generated.ts']);
    expect(resolveCommit(dir, { KUBEADM_HA_COMMIT: '0123456789ab' })).toBe('0123456789ab');
  });
});
