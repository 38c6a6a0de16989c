/**
 * The manual pages, made from the executables' --help (packaging/lib/manpage.mjs), here from the built dist/ tree
 * behind small wrappers instead of the single-file executables, which take minutes to build (packaging.test.ts checks
 * that the packages carry them). man itself checks the roff, the way lintian does (`man --warnings`).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error: plain ESM JavaScript, like the rest of packaging/lib
import { PACKAGES } from './lib/layout.mjs';
// @ts-expect-error: plain ESM JavaScript
import { buildManPages, parseDaemonHelp, roff } from './lib/manpage.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const ENTRIES: Record<string, string> = {
  coordinatorctl: 'dist/coordinator/cli/main.js',
  'kubeadm-ha-coordinator': 'dist/coordinator/main.js',
  'kubeadm-ha-agent': 'dist/agent/main.js',
};
const dir = mkdtempSync(join(tmpdir(), 'kha-man-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

for (const [name, entry] of Object.entries(ENTRIES)) {
  writeFileSync(join(dir, name), `#!/bin/sh\nexec "${process.execPath}" "${join(ROOT, entry)}" "$@"\n`);
  chmodSync(join(dir, name), 0o755);
}
const help = (name: string, ...args: string[]) => execFileSync(join(dir, name), args.length ? args : ['--help'], { encoding: 'utf8' });

const generated = buildManPages({ binary: (name: string) => join(dir, name), version: '0.1.0', date: '2026-12-05', packages: PACKAGES }) as Record<string, Buffer | string>;

const PAGES = [
  ['coordinatorctl', 'man:coordinatorctl', '1'],
  ['kubeadm-ha-coordinator', 'man:kubeadm-ha-coordinator', '8'],
  ['kubeadm-ha-agent', 'man:kubeadm-ha-agent', '8'],
] as const;

/** The page as man shows it, and what man warns about it (lintian's manpage-has-errors-from-man). */
function man(key: string): { text: string; warnings: string } {
  const file = join(dir, `${key.replace(':', '-')}.roff`);
  writeFileSync(file, gunzipSync(generated[key] as Buffer));
  const shown = spawnSync('man', ['--warnings', '-E', 'UTF-8', '-l', file], { encoding: 'utf8', env: { ...process.env, MANWIDTH: '200', MAN_KEEP_FORMATTING: '', LC_ALL: 'C.UTF-8' } });
  return { text: shown.stdout.replace(/.\x08/g, ''), warnings: shown.stderr };
}

describe('manual pages from --help', () => {
  it.each(PAGES)('%s(%s…): man renders it without a warning, under NAME, SYNOPSIS and DESCRIPTION', (name, key, section) => {
    const { text, warnings } = man(key);
    expect(warnings).toBe('');
    expect(text).toMatch(new RegExp(`^${name.toUpperCase()}\\(${section}\\)`));
    for (const heading of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'SEE ALSO']) expect(text).toMatch(new RegExp(`^${heading}$`, 'm'));
    expect(text).toMatch(new RegExp(`^\\s+${name} - `, 'm'));
  });

  it('coordinatorctl(1) has every command with its summary and usage, exactly as --help says them', () => {
    const { text } = man('man:coordinatorctl');
    const squash = (s: string) => s.replace(/\s+/g, ' ');
    const names = [...help('coordinatorctl').matchAll(/^ {2}([a-z][a-z-]*) {2,}(.*)$/gm)].map((m) => m[1]!);
    expect(names).toContain('deploy');
    expect(names).toContain('completion');
    for (const name of names) {
      const own = help('coordinatorctl', name, '--help');
      const [summary] = own.split('\n');
      expect(squash(text), name).toContain(squash(summary!));
      const usage = own.split('\n').find((l) => l.startsWith('usage: '))!.slice('usage: '.length);
      expect(text, name).toContain(usage);
    }
    expect(text).toMatch(/^CONNECTION FLAGS$/m);
    expect(text).toContain('--admin-conf FILE');
  });

  it.each(['kubeadm-ha-coordinator', 'kubeadm-ha-agent'])('%s(8) lists every flag of --help under OPTIONS', (name) => {
    const { text } = man(`man:${name}`);
    const { flags } = parseDaemonHelp(help(name));
    expect(flags.length).toBeGreaterThan(3);
    const options = text.slice(text.indexOf('\nOPTIONS\n'));
    for (const { flag } of flags) expect(options, flag).toMatch(new RegExp(`^\\s+${flag.replace(/[.]/g, '\\.')}$`, 'm'));
    // A flag's description keeps its continuation lines.
    if (name === 'kubeadm-ha-coordinator') expect(options.replace(/\s+/g, ' ')).toContain('agents renew theirs over their session past two thirds of it');
  });

  it('escapes what roff would read as requests, escapes or minus signs', () => {
    expect(roff('.TH at a line start\n\'quote start\na\\b --flag')).toBe("\\&.TH at a line start\n\\&'quote start\na\\eb \\-\\-flag");
  });

  it('ships the bash completion that coordinatorctl completion bash prints', () => {
    expect(generated['completion:bash']).toBe(help('coordinatorctl', 'completion', 'bash'));
  });
});
