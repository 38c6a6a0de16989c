/**
 * The two commands on a fresh machine: `npm test` and `sudo npm run sandbox` run scripts/prepare.sh first (their npm
 * pre-scripts), which installs the Debian packages as root or names `sudo npm run setup` otherwise, and runs `npm ci`
 * when node_modules is missing or stale. And `npm ci` itself must accept the lock file: npm 11 refuses a lock that
 * lacks any platform's optional package (npm/cli#4828: a lock rebuilt with node_modules present keeps only this
 * machine's), which is what `npm ci` said here before the lock was regenerated.
 *
 * prepare.sh runs in a scratch copy of the repository with stand-ins for id, dpkg-query, apt-get and npm on PATH, so
 * nothing is installed and no root is needed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const REPO = new URL('../../', import.meta.url).pathname;
let scratch: string | undefined;
afterEach(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  scratch = undefined;
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** Every stand-in call, one line each: `apt-get install …`, `npm ci …`. */
  calls: string[];
}

/** A scratch repository: the two scripts and the package files, no node_modules unless asked. */
function scratchRepo(opts: { nodeModules?: 'fresh' | 'stale' } = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'kha-prepare-'));
  scratch = root;
  mkdirSync(join(root, 'scripts'));
  for (const f of ['scripts/prepare.sh', 'scripts/setup-debian.sh', 'package.json', 'package-lock.json']) copyFileSync(join(REPO, f), join(root, f));
  const old = new Date(Date.now() - 3_600_000);
  for (const f of ['package.json', 'package-lock.json']) utimesSync(join(root, f), old, old);
  if (opts.nodeModules) {
    mkdirSync(join(root, 'node_modules'));
    writeFileSync(join(root, 'node_modules/.package-lock.json'), '{}');
    const when = opts.nodeModules === 'fresh' ? new Date() : new Date(Date.now() - 7_200_000);
    utimesSync(join(root, 'node_modules/.package-lock.json'), when, when);
  }
  return root;
}

function stub(bin: string, name: string, body: string): void {
  writeFileSync(join(bin, name), `#!/usr/bin/env bash\n${body}\n`);
  chmodSync(join(bin, name), 0o755);
}

function prepare(root: string, opts: { uid: number; missing: readonly string[] }): Run {
  const bin = join(root, '.bin');
  mkdirSync(bin, { recursive: true });
  const log = join(root, '.calls');
  writeFileSync(log, '');
  stub(bin, 'id', `[ "$1" = "-u" ] && echo ${opts.uid} || exec /usr/bin/id "$@"`);
  stub(bin, 'dpkg-query', `for p in ${opts.missing.join(' ')}; do [ "\${@: -1}" = "$p" ] && exit 1; done; echo -n 'install ok installed'`);
  stub(bin, 'apt-get', `echo "apt-get $*" >> ${log}`);
  stub(bin, 'npm', `echo "npm $*" >> ${log}; [ "$1" = ci ] && mkdir -p node_modules && echo '{}' > node_modules/.package-lock.json; exit 0`);
  const r = spawnSync('bash', [join(root, 'scripts/prepare.sh'), 'test'], {
    cwd: root,
    encoding: 'utf8',
    env: { PATH: `${bin}:/usr/sbin:/usr/bin:/sbin:/bin`, HOME: root },
  });
  const calls = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, calls };
}

describe('scripts/prepare.sh, before npm test and npm run sandbox', () => {
  it('does nothing when the packages are there and node_modules is newer than the lock', () => {
    const r = prepare(scratchRepo({ nodeModules: 'fresh' }), { uid: 1000, missing: [] });
    expect(r).toMatchObject({ code: 0, stderr: '', calls: [] });
  });

  it('without root, names the missing Debian packages and `sudo npm run setup`, installs nothing and fails', () => {
    const r = prepare(scratchRepo({ nodeModules: 'fresh' }), { uid: 1000, missing: ['keepalived', 'nats-server'] });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('npm run test: missing Debian packages: keepalived nats-server; install them with: sudo npm run setup\n');
    expect(r.calls).toEqual([]);
  });

  it('as root, installs exactly the missing Debian packages with apt-get', () => {
    const r = prepare(scratchRepo({ nodeModules: 'fresh' }), { uid: 0, missing: ['haproxy', 'etcd-server'] });
    expect(r.code, r.stderr).toBe(0);
    expect(r.calls).toEqual(['apt-get update -qq', 'apt-get install -y -qq --no-install-recommends haproxy etcd-server']);
  });

  it('runs `npm ci` in a fresh clone (no node_modules: the script needs nothing from it) and when the lock is newer', () => {
    const fresh = scratchRepo();
    expect(existsSync(join(fresh, 'node_modules'))).toBe(false);
    const first = prepare(fresh, { uid: 1000, missing: [] });
    expect(first.code, first.stderr).toBe(0);
    expect(first.calls).toEqual(['npm ci --no-audit --no-fund']);
    // Installed now: the second run leaves it alone.
    expect(prepare(fresh, { uid: 1000, missing: [] }).calls).toEqual([]);
    rmSync(fresh, { recursive: true, force: true });
    const stale = prepare(scratchRepo({ nodeModules: 'stale' }), { uid: 1000, missing: [] });
    expect(stale.calls).toEqual(['npm ci --no-audit --no-fund']);
  });

  it('package.json runs it before test and sandbox', () => {
    const scripts = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.pretest).toBe('bash scripts/prepare.sh test');
    expect(scripts.presandbox).toBe('bash scripts/prepare.sh sandbox');
    expect(readFileSync(join(REPO, '.ci/run'), 'utf8')).toMatch(/^npm ci --no-audit --no-fund$/m);
  });
});

describe('package-lock.json, for npm ci', () => {
  interface Locked {
    version?: string;
    optionalDependencies?: Record<string, string>;
    dependencies?: Record<string, string>;
  }
  const lock = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, Locked> };

  /** Where npm finds `dep` for the package at `from`: its own node_modules, then each one up to the top. */
  function resolves(from: string, dep: string): boolean {
    let dir = from;
    for (;;) {
      if (lock.packages[`${dir ? `${dir}/` : ''}node_modules/${dep}`]) return true;
      if (!dir) return false;
      const at = dir.lastIndexOf('/node_modules/');
      dir = at < 0 ? '' : dir.slice(0, at);
    }
  }

  it("locks every platform's optional packages, not only this machine's (npm 11's npm ci refuses the lock otherwise)", () => {
    const missing = Object.entries(lock.packages).flatMap(([path, p]) =>
      Object.keys({ ...p.dependencies, ...p.optionalDependencies })
        .filter((dep) => !resolves(path, dep))
        .map((dep) => `${path || '(root)'} -> ${dep}`),
    );
    expect(missing).toEqual([]);
    // The case that broke it: rollup's native packages for every platform, Android's included.
    expect(lock.packages['node_modules/@rollup/rollup-android-arm-eabi']).toBeDefined();
  });

  it('npm ci accepts it (a dry run: it validates the lock against package.json, installs nothing)', () => {
    const out = execFileSync('npm', ['ci', '--dry-run', '--no-audit', '--no-fund', '--ignore-scripts'], {
      cwd: REPO,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(out).toMatch(/added|up to date|\d+ packages/);
  });
});
