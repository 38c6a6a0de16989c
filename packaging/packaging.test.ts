/**
 * The packages as an operator receives them: built once by packaging/build.mjs (the same script `npm run package`
 * runs), then listed, linted, verified and installed into throwaway roots. Installing needs root (dpkg --root with
 * chown, chroot, mount namespaces); those tests skip with the reason when not root, except under
 * KUBEADM_HA_REQUIRE_E2E=1, where they fail.
 *
 * Run: npx vitest run --config packaging/vitest.config.ts   (about three minutes: xz and lintian on 90 MB binaries)
 */
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REQUIRE_E2E_ENV } from '../test/netns/describe-e2e.js';
import { AGENT_EXEC_ARGV, BINARIES } from './lib/binaries.mjs';
import { BUILD_INFO_MODULE, renderBuildInfo, UNSTAMPED_COMMIT } from './lib/build-info.mjs';
import { checkSupported, NODE_RUNTIME } from './lib/node-runtime.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const VERSION: string = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
const PACKAGES_DIR = join(ROOT, 'dist', 'packages');
const BIN_DIR = join(ROOT, 'dist', 'bin');
const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const BUILD_TIMEOUT_MS = 20 * 60_000;
const SLOW_MS = 5 * 60_000;

const IS_ROOT = process.getuid?.() === 0;
const DEB_ARCH = spawnSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).stdout.trim();
const RPM_ARCH = ({ x64: 'x86_64', arm64: 'aarch64' } as Record<string, string>)[process.arch] ?? process.arch;
const deb = (name: string) => join(PACKAGES_DIR, `${name}_${VERSION}_${DEB_ARCH}.deb`);
const rpm = (name: string) => join(PACKAGES_DIR, `${name}-${VERSION}-1.${RPM_ARCH}.rpm`);
const AGENT = 'kubeadm-ha-agent';
const COORDINATOR = 'kubeadm-ha-coordinator';

interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

const DEFAULT_ENV = { ...process.env, PATH: `${process.env.PATH}:${SYSTEM_PATH}` };

/**
 * Runs a command without blocking the event loop: the build and lintian take minutes, and a worker that stops
 * answering vitest's RPC for that long is reported as an error.
 */
function run(cmd: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; timeout?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { encoding: 'utf8', env: opts.env ?? DEFAULT_ENV, timeout: opts.timeout ?? 120_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ status: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}

async function ok(cmd: string, args: readonly string[], opts: Parameters<typeof run>[2] = {}): Promise<string> {
  const result = await run(cmd, args, opts);
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${result.status}:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

/** `it` for tests that need root: skipped with the reason otherwise, failing instead under KUBEADM_HA_REQUIRE_E2E=1. */
function itAsRoot(name: string, fn: () => void | Promise<void>, timeout?: number): void {
  if (IS_ROOT) return void it(name, fn, timeout);
  if (process.env[REQUIRE_E2E_ENV] === '1') return void it(name, () => expect.fail(`${REQUIRE_E2E_ENV}=1 but this test needs root`));
  it.skip(`${name} (skipped: needs root)`, fn);
}

/** `dpkg-deb -c` as "mode owner path" lines, sizes and dates dropped. */
async function debListing(file: string): Promise<string[]> {
  return (await ok('dpkg-deb', ['-c', file]))
    .trim()
    .split('\n')
    .map((line) => {
      const [mode, owner, , , , path] = line.split(/\s+/);
      return `${mode} ${owner} ${path}`;
    });
}

async function rpmListing(file: string): Promise<string[]> {
  return (await ok('rpm', ['-qp', '--qf', '[%{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILEFLAGS:fflags} %{FILENAMES}\n]', file]))
    .trim()
    .split('\n')
    .map((l) => l.replace(/ {2}/, ' - '));
}

const mode = (path: string) => (lstatSync(path).mode & 0o7777).toString(8).padStart(4, '0');
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const versionLine = /^(?<name>[a-z-]+) (?<version>\S+) \((?<commit>[0-9a-f]{12})(?<dirty>-dirty)?\) node (?<node>\d+\.\d+\.\d+)$/;

beforeAll(async () => {
  // The build checks each executable's --version itself and fails loudly; its output only matters then.
  const result = await run(process.execPath, [join(ROOT, 'packaging', 'build.mjs')], { timeout: BUILD_TIMEOUT_MS });
  if (result.status !== 0) throw new Error(`packaging/build.mjs failed:\n${result.stdout}\n${result.stderr}`);
}, BUILD_TIMEOUT_MS);

describe('build info', () => {
  it('the committed core/generated/build-info.ts is the unstamped module for package.json\'s version', () => {
    expect(readFileSync(join(ROOT, BUILD_INFO_MODULE), 'utf8')).toBe(renderBuildInfo({ version: VERSION, commit: UNSTAMPED_COMMIT }));
  });
});

describe('single-file executables', () => {
  const names = [AGENT, COORDINATOR, 'coordinatorctl'];

  it('each prints "<name> <version> (<commit>) node <node>" for --version with an empty environment, all from one commit of this repository', async () => {
    const commits = new Set<string>();
    for (const name of names) {
      const out = (await ok(join(BIN_DIR, name), ['--version'], { env: {} })).trim();
      const m = out.match(versionLine);
      expect(m, out).not.toBeNull();
      expect(m!.groups!.name).toBe(name);
      expect(m!.groups!.version).toBe(VERSION);
      // The runtime inside is the pinned Node 24 LTS, not the Node that ran the build.
      expect(m!.groups!.node).toBe(NODE_RUNTIME.version);
      expect(m!.groups!.node).toMatch(/^24\./);
      expect(() => checkSupported(m!.groups!.node!)).not.toThrow();
      commits.add(m!.groups!.commit!);
    }
    expect(commits.size).toBe(1);
    const [commit] = [...commits];
    // Others may commit while the build runs: the stamped commit must exist and lead to HEAD.
    await ok('git', ['-C', ROOT, 'merge-base', '--is-ancestor', commit!, 'HEAD']);
  });

  it('are stripped ELF executables with their application injected, not scripts needing node', async () => {
    for (const name of names) {
      const file = join(BIN_DIR, name);
      expect(mode(file)).toBe('0755');
      const bytes = readFileSync(file);
      expect(bytes.subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))).toBe(true);
      // postject flips Node's fuse from :0 to :1 when it injects the blob; a plain node binary has :0.
      expect(bytes.includes(`${SEA_FUSE}:1`)).toBe(true);
      expect(bytes.includes(`${SEA_FUSE}:0`)).toBe(false);
      expect(await ok('readelf', ['-S', '--wide', file])).not.toMatch(/\.debug_info|\.symtab/);
    }
  });
});

describe('built-in Node/V8 flags', () => {
  it('each executable starts with its own (the agent: small semi-spaces, no JIT, optimised for size), and the agent has no WebAssembly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeadm-ha-flags-'));
    try {
      // A preload reports what the executable started with: process.execArgv comes from the blob, NODE_OPTIONS adds none.
      const probe = join(dir, 'probe.cjs');
      writeFileSync(probe, `process.stderr.write(JSON.stringify({ execArgv: process.execArgv, wasm: typeof WebAssembly }) + '\\n');`);
      const seen: Record<string, { execArgv: string[]; wasm: string }> = {};
      for (const b of BINARIES) {
        const r = await run(join(BIN_DIR, b.name), ['--version'], { env: { NODE_OPTIONS: `--require ${probe}` } });
        expect(r.status, r.stderr).toBe(0);
        seen[b.name] = JSON.parse(r.stderr.trim().split('\n').at(-1)!);
      }
      expect(seen[AGENT]).toEqual({ execArgv: ['--max-semi-space-size=1', '--jitless', '--optimize-for-size'], wasm: 'undefined' });
      expect(AGENT_EXEC_ARGV).toEqual(seen[AGENT]!.execArgv);
      expect(seen[COORDINATOR]).toEqual({ execArgv: [], wasm: 'object' });
      expect(seen['coordinatorctl']).toEqual({ execArgv: [], wasm: 'object' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a build from a clean clone of HEAD', () => {
  it('stamps the bare commit, without -dirty, and embeds the pinned Node', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeadm-ha-clone-'));
    try {
      await ok('git', ['clone', '--quiet', '--shared', ROOT, dir]);
      // Untracked, as in every worktree here: it must not count as a change.
      symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
      const head = (await ok('git', ['-C', dir, 'rev-parse', '--short=12', 'HEAD'])).trim();
      // The runtime tarball the build above verified and cached; the clone's build verifies it again.
      const env: NodeJS.ProcessEnv = { ...DEFAULT_ENV, KUBEADM_HA_NODE_CACHE: join(ROOT, 'dist', '.cache', 'node') };
      delete env.KUBEADM_HA_COMMIT;
      const build = await ok(process.execPath, [join(dir, 'packaging', 'build.mjs'), '--binaries-only'], { env, timeout: SLOW_MS });
      expect(build).not.toContain('-dirty');
      const out = (await ok(join(dir, 'dist', 'bin', 'coordinatorctl'), ['--version'], { env: {} })).trim();
      expect(out).toBe(`coordinatorctl ${VERSION} (${head}) node ${NODE_RUNTIME.version}`);
      expect(await ok('git', ['-C', dir, 'status', '--porcelain', '--untracked-files=no'])).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, SLOW_MS);
});

describe('.deb', () => {
  it('kubeadm-ha-agent contains exactly the binary, its manual page, its unit, the config check, agent.yaml (0600) and the state directory (0700)', async () => {
    expect(await debListing(deb(AGENT))).toEqual([
      'drwxr-xr-x root/root ./',
      'drwxr-xr-x root/root ./etc/',
      'drwxr-xr-x root/root ./etc/kubeadm-ha/',
      '-rw------- root/root ./etc/kubeadm-ha/agent.yaml',
      'drwxr-xr-x root/root ./lib/',
      'drwxr-xr-x root/root ./lib/systemd/',
      'drwxr-xr-x root/root ./lib/systemd/system/',
      '-rw-r--r-- root/root ./lib/systemd/system/kubeadm-ha-agent.service',
      'drwxr-xr-x root/root ./usr/',
      'drwxr-xr-x root/root ./usr/bin/',
      '-rwxr-xr-x root/root ./usr/bin/kubeadm-ha-agent',
      'drwxr-xr-x root/root ./usr/lib/',
      'drwxr-xr-x root/root ./usr/lib/kubeadm-ha/',
      '-rwxr-xr-x root/root ./usr/lib/kubeadm-ha/agent-configured',
      'drwxr-xr-x root/root ./usr/share/',
      'drwxr-xr-x root/root ./usr/share/doc/',
      'drwxr-xr-x root/root ./usr/share/doc/kubeadm-ha-agent/',
      '-rw-r--r-- root/root ./usr/share/doc/kubeadm-ha-agent/changelog.gz',
      '-rw-r--r-- root/root ./usr/share/doc/kubeadm-ha-agent/copyright',
      'drwxr-xr-x root/root ./usr/share/lintian/',
      'drwxr-xr-x root/root ./usr/share/lintian/overrides/',
      '-rw-r--r-- root/root ./usr/share/lintian/overrides/kubeadm-ha-agent',
      'drwxr-xr-x root/root ./usr/share/man/',
      'drwxr-xr-x root/root ./usr/share/man/man8/',
      '-rw-r--r-- root/root ./usr/share/man/man8/kubeadm-ha-agent.8.gz',
      'drwxr-xr-x root/root ./var/',
      'drwxr-xr-x root/root ./var/lib/',
      'drwx------ root/root ./var/lib/kubeadm-ha/',
    ]);
  });

  it('kubeadm-ha-coordinator contains exactly the two binaries, their manual pages, the bash completion, its unit, the config check, the flags file and the sysusers entry', async () => {
    expect(await debListing(deb(COORDINATOR))).toEqual([
      'drwxr-xr-x root/root ./',
      'drwxr-xr-x root/root ./etc/',
      'drwxr-xr-x root/root ./etc/default/',
      '-rw-r--r-- root/root ./etc/default/kubeadm-ha-coordinator',
      'drwxr-xr-x root/root ./lib/',
      'drwxr-xr-x root/root ./lib/systemd/',
      'drwxr-xr-x root/root ./lib/systemd/system/',
      '-rw-r--r-- root/root ./lib/systemd/system/kubeadm-ha-coordinator.service',
      'drwxr-xr-x root/root ./usr/',
      'drwxr-xr-x root/root ./usr/bin/',
      '-rwxr-xr-x root/root ./usr/bin/coordinatorctl',
      '-rwxr-xr-x root/root ./usr/bin/kubeadm-ha-coordinator',
      'drwxr-xr-x root/root ./usr/lib/',
      'drwxr-xr-x root/root ./usr/lib/kubeadm-ha/',
      '-rwxr-xr-x root/root ./usr/lib/kubeadm-ha/coordinator-configured',
      'drwxr-xr-x root/root ./usr/lib/sysusers.d/',
      '-rw-r--r-- root/root ./usr/lib/sysusers.d/kubeadm-ha-coordinator.conf',
      'drwxr-xr-x root/root ./usr/share/',
      'drwxr-xr-x root/root ./usr/share/bash-completion/',
      'drwxr-xr-x root/root ./usr/share/bash-completion/completions/',
      '-rw-r--r-- root/root ./usr/share/bash-completion/completions/coordinatorctl',
      'drwxr-xr-x root/root ./usr/share/doc/',
      'drwxr-xr-x root/root ./usr/share/doc/kubeadm-ha-coordinator/',
      '-rw-r--r-- root/root ./usr/share/doc/kubeadm-ha-coordinator/changelog.gz',
      '-rw-r--r-- root/root ./usr/share/doc/kubeadm-ha-coordinator/copyright',
      'drwxr-xr-x root/root ./usr/share/kubeadm-ha/',
      'drwxr-xr-x root/root ./usr/share/kubeadm-ha/monitoring/',
      '-rw-r--r-- root/root ./usr/share/kubeadm-ha/monitoring/README.md',
      '-rw-r--r-- root/root ./usr/share/kubeadm-ha/monitoring/kubeadm-ha-alerts.yaml',
      '-rw-r--r-- root/root ./usr/share/kubeadm-ha/monitoring/kubeadm-ha-dashboard.json',
      'drwxr-xr-x root/root ./usr/share/lintian/',
      'drwxr-xr-x root/root ./usr/share/lintian/overrides/',
      '-rw-r--r-- root/root ./usr/share/lintian/overrides/kubeadm-ha-coordinator',
      'drwxr-xr-x root/root ./usr/share/man/',
      'drwxr-xr-x root/root ./usr/share/man/man1/',
      '-rw-r--r-- root/root ./usr/share/man/man1/coordinatorctl.1.gz',
      'drwxr-xr-x root/root ./usr/share/man/man8/',
      '-rw-r--r-- root/root ./usr/share/man/man8/kubeadm-ha-coordinator.8.gz',
    ]);
  });

  it('declares the dependencies, the conffiles and the maintainer scripts', async () => {
    const field = async (file: string, name: string) => (await ok('dpkg-deb', ['-f', file, name])).trim();
    expect(await field(deb(AGENT), 'Version')).toBe(VERSION.replace('-', '~'));
    expect((await field(deb(AGENT), 'Depends')).split(/,\s*/)).toEqual(expect.arrayContaining(['iproute2', expect.stringMatching(/^libc6 \(>= [\d.]+\)$/), expect.stringMatching(/^libstdc\+\+6/)]));
    expect(await field(deb(AGENT), 'Recommends')).toBe('keepalived, haproxy, nftables');
    expect((await field(deb(COORDINATOR), 'Depends')).split(/,\s*/)).toEqual(expect.arrayContaining(['nats-server', 'systemd | systemd-standalone-sysusers | systemd-sysusers']));
    const control = async (file: string) => {
      const dir = mkdtempSync(join(tmpdir(), 'kubeadm-ha-control-'));
      try {
        await ok('dpkg-deb', ['-e', file, dir]);
        return {
          conffiles: readFileSync(join(dir, 'conffiles'), 'utf8'),
          scripts: ['postinst', 'prerm', 'postrm'].filter((s) => existsSync(join(dir, s)) && mode(join(dir, s)) === '0755'),
        };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };
    expect(await control(deb(AGENT))).toEqual({ conffiles: '/etc/kubeadm-ha/agent.yaml\n', scripts: ['postinst', 'prerm', 'postrm'] });
    expect(await control(deb(COORDINATOR))).toEqual({ conffiles: '/etc/default/kubeadm-ha-coordinator\n', scripts: ['postinst', 'prerm', 'postrm'] });
  });

  it('lintian finds no errors in either package, and no executable without its manual page', async () => {
    const result = await run('lintian', ['--fail-on', 'error', '--tag-display-limit', '0', deb(AGENT), deb(COORDINATOR)], { timeout: SLOW_MS });
    expect(result.stdout).not.toMatch(/^E: /m);
    expect(result.stdout).not.toMatch(/no-manual-page|manpage-has-errors-from-man|groff-message|odd-place-for-manual-page/);
    expect(result.status, result.stdout + result.stderr).toBe(0);
  }, SLOW_MS);
});

describe('.rpm', () => {
  it('kubeadm-ha-agent contains the same files: agent.yaml as %config(noreplace) 0600, the state directory 0700', async () => {
    expect(await rpmListing(rpm(AGENT))).toEqual([
      'drwxr-xr-x root:root - /etc/kubeadm-ha',
      '-rw------- root:root cn /etc/kubeadm-ha/agent.yaml',
      '-rwxr-xr-x root:root - /usr/bin/kubeadm-ha-agent',
      'drwxr-xr-x root:root - /usr/lib/kubeadm-ha',
      '-rwxr-xr-x root:root - /usr/lib/kubeadm-ha/agent-configured',
      '-rw-r--r-- root:root - /usr/lib/systemd/system/kubeadm-ha-agent.service',
      '-rw-r--r-- root:root l /usr/share/licenses/kubeadm-ha-agent/copyright',
      '-rw-r--r-- root:root d /usr/share/man/man8/kubeadm-ha-agent.8.gz',
      'drwx------ root:root - /var/lib/kubeadm-ha',
    ]);
  });

  it('kubeadm-ha-coordinator contains the same files, the flags file under /etc/sysconfig as %config(noreplace)', async () => {
    expect(await rpmListing(rpm(COORDINATOR))).toEqual([
      '-rw-r--r-- root:root cn /etc/sysconfig/kubeadm-ha-coordinator',
      '-rwxr-xr-x root:root - /usr/bin/coordinatorctl',
      '-rwxr-xr-x root:root - /usr/bin/kubeadm-ha-coordinator',
      'drwxr-xr-x root:root - /usr/lib/kubeadm-ha',
      '-rwxr-xr-x root:root - /usr/lib/kubeadm-ha/coordinator-configured',
      '-rw-r--r-- root:root - /usr/lib/systemd/system/kubeadm-ha-coordinator.service',
      '-rw-r--r-- root:root - /usr/lib/sysusers.d/kubeadm-ha-coordinator.conf',
      '-rw-r--r-- root:root - /usr/share/bash-completion/completions/coordinatorctl',
      'drwxr-xr-x root:root - /usr/share/kubeadm-ha',
      'drwxr-xr-x root:root - /usr/share/kubeadm-ha/monitoring',
      '-rw-r--r-- root:root - /usr/share/kubeadm-ha/monitoring/README.md',
      '-rw-r--r-- root:root - /usr/share/kubeadm-ha/monitoring/kubeadm-ha-alerts.yaml',
      '-rw-r--r-- root:root - /usr/share/kubeadm-ha/monitoring/kubeadm-ha-dashboard.json',
      '-rw-r--r-- root:root l /usr/share/licenses/kubeadm-ha-coordinator/copyright',
      '-rw-r--r-- root:root d /usr/share/man/man1/coordinatorctl.1.gz',
      '-rw-r--r-- root:root d /usr/share/man/man8/kubeadm-ha-coordinator.8.gz',
    ]);
  });

  it('declares iproute, keepalived and haproxy (weak), nats-server, and the shared libraries it links', async () => {
    expect((await ok('rpm', ['-qp', '--requires', rpm(AGENT)])).split('\n')).toEqual(expect.arrayContaining(['(iproute or iproute2)', 'libstdc++.so.6()(64bit)']));
    expect((await ok('rpm', ['-qp', '--recommends', rpm(AGENT)])).trim().split('\n').sort()).toEqual(['haproxy', 'keepalived', 'nftables']);
    expect((await ok('rpm', ['-qp', '--requires', rpm(COORDINATOR)])).split('\n')).toContain('nats-server');
    expect(await ok('rpm', ['-qp', '--qf', '%{VERSION}-%{RELEASE} %{ARCH}', rpm(AGENT)])).toBe(`${VERSION.replace('-', '~')}-1 ${RPM_ARCH}`);
  });

  itAsRoot('installs into a throwaway root and its executables run from there', async () => {
    const root = mkdtempSync(join(tmpdir(), 'kubeadm-ha-rpmroot-'));
    try {
      // No scriptlets: they would run chrooted into a root with no shell. The payload is what is under test here.
      await ok('rpm', ['--root', root, '--dbpath', '/var/lib/rpm', '-i', '--nodeps', '--noscripts', rpm(AGENT), rpm(COORDINATOR)], { timeout: SLOW_MS });
      expect(mode(join(root, 'etc/kubeadm-ha/agent.yaml'))).toBe('0600');
      expect(mode(join(root, 'var/lib/kubeadm-ha'))).toBe('0700');
      for (const name of [AGENT, COORDINATOR, 'coordinatorctl']) {
        expect((await ok(join(root, 'usr/bin', name), ['--version'], { env: {} })).trim()).toMatch(new RegExp(`^${name} ${VERSION} \\(`));
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, SLOW_MS);
});

describe('installed with dpkg into a throwaway root', () => {
  let root = '';

  /**
   * An empty root whose dpkg database holds only the packages our Depends name, copied from this host's database,
   * so dpkg really checks the dependencies instead of being told to ignore them.
   */
  async function makeRoot(debs: string[]): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), 'kubeadm-ha-root-'));
    mkdirSync(join(dir, 'var/lib/dpkg/info'), { recursive: true });
    mkdirSync(join(dir, 'var/lib/dpkg/updates'));
    writeFileSync(join(dir, 'var/lib/dpkg/available'), '');
    const installed = async (name: string) => (await run('dpkg-query', ['-W', '-f', '${Status}', name])).stdout === 'install ok installed';
    const needed = new Set<string>();
    for (const file of debs) {
      for (const dependency of (await ok('dpkg-deb', ['-f', file, 'Depends'])).trim().split(/,\s*/)) {
        const names = dependency.split('|').map((alt) => alt.trim().split(/[\s(:]/)[0]!);
        let present: string | undefined;
        for (const name of names) if (!present && (await installed(name))) present = name;
        if (!present) throw new Error(`this host lacks ${dependency}, which the packages depend on: run \`sudo npm run setup\``);
        needed.add(present);
      }
    }
    const stanzas: string[] = [];
    for (const name of needed) {
      stanzas.push((await ok('dpkg-query', ['-s', name])).trimEnd() + '\n');
      writeFileSync(join(dir, 'var/lib/dpkg/info', `${await ok('dpkg-query', ['-W', '-f', '${binary:Package}', name])}.list`), '');
    }
    writeFileSync(join(dir, 'var/lib/dpkg/status'), stanzas.join('\n'));
    return dir;
  }

  const dpkg = (args: string[]) => ok('dpkg', [`--root=${root}`, '--force-script-chrootless', '--log=/dev/null', ...args], { timeout: SLOW_MS });

  /** The shared libraries an executable and /bin/sh need, copied in: a host with libc and no Node.js. */
  async function addSharedLibraries(executables: string[]): Promise<void> {
    const paths = new Set<string>(['/bin/sh']);
    for (const line of (await ok('ldd', executables)).split('\n')) {
      const m = line.match(/=>\s+(\/\S+)/) ?? line.match(/^\s+(\/\S+ld-linux\S*)/);
      if (m) paths.add(m[1]!);
    }
    for (const path of paths) {
      mkdirSync(join(root, dirname(path)), { recursive: true });
      copyFileSync(realpathSync(path), join(root, path));
      chmodSync(join(root, path), 0o755);
    }
  }

  beforeAll(async () => {
    if (!IS_ROOT) return;
    root = await makeRoot([deb(AGENT), deb(COORDINATOR)]);
  });

  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  itAsRoot('dpkg -i installs both packages with their dependencies satisfied, runs postinst and leaves the units enabled', async () => {
    await dpkg(['-i', deb(AGENT), deb(COORDINATOR)]);
    for (const name of [AGENT, COORDINATOR]) {
      expect(await ok('dpkg-query', [`--admindir=${join(root, 'var/lib/dpkg')}`, '-W', '-f', '${Status}', name])).toBe('install ok installed');
      expect(readlinkSync(join(root, 'etc/systemd/system/multi-user.target.wants', `${name}.service`))).toBe(`/lib/systemd/system/${name}.service`);
    }
    expect(mode(join(root, 'var/lib/kubeadm-ha'))).toBe('0700');
    expect(mode(join(root, 'etc/kubeadm-ha/agent.yaml'))).toBe('0600');
    expect(readFileSync(join(root, 'etc/passwd'), 'utf8')).toMatch(/^kubeadm-ha:x:\d+:\d+:kubeadm-ha coordinator:\/var\/lib\/kubeadm-ha-coordinator:\S+$/m);
  }, SLOW_MS);

  itAsRoot('the installed executables run --version in a chroot of that root, where PATH=/usr/bin:/bin has no node', async () => {
    await addSharedLibraries([join(root, 'usr/bin', AGENT), join(root, 'usr/bin', COORDINATOR)]);
    const env = { PATH: '/usr/bin:/bin' };
    const which = await run('/usr/sbin/chroot', [root, '/bin/sh', '-c', 'command -v node'], { env });
    expect(which.status).not.toBe(0);
    expect(which.stdout).toBe('');
    for (const name of [AGENT, COORDINATOR, 'coordinatorctl']) {
      const out = (await ok('/usr/sbin/chroot', [root, `/usr/bin/${name}`, '--version'], { env })).trim();
      expect(out).toMatch(versionLine);
      expect(out.startsWith(`${name} ${VERSION} (`)).toBe(true);
    }
  }, SLOW_MS);

  itAsRoot('systemd-analyze verify accepts both installed units, and rejects a unit whose ExecStart is missing', async () => {
    const verify = (units: string[]) => run('systemd-analyze', ['verify', '--man=no', '--recursive-errors=no', `--root=${root}`, ...units]);
    const good = await verify([`/lib/systemd/system/${AGENT}.service`, `/lib/systemd/system/${COORDINATOR}.service`]);
    expect(good.stderr + good.stdout).toBe('');
    expect(good.status).toBe(0);
    // The control: the same unit with a binary that is not there must fail, or the check above proves nothing.
    const broken = join(root, 'lib/systemd/system/kubeadm-ha-broken.service');
    writeFileSync(broken, readFileSync(join(root, `lib/systemd/system/${AGENT}.service`), 'utf8').replace(/^ExecStart=\/usr\/bin\/kubeadm-ha-agent/m, 'ExecStart=/usr/bin/kubeadm-ha-absent'));
    try {
      const bad = await verify(['/lib/systemd/system/kubeadm-ha-broken.service']);
      expect(bad.status).not.toBe(0);
      expect(bad.stderr).toMatch(/kubeadm-ha-absent/);
    } finally {
      rmSync(broken);
    }
  });

  itAsRoot('an upgrade keeps an edited agent.yaml (conffile)', async () => {
    const conffile = join(root, 'etc/kubeadm-ha/agent.yaml');
    const edited = 'coordinator: 198.18.0.2:9443\n# edited by the operator\n';
    writeFileSync(conffile, edited);
    await dpkg(['-i', deb(AGENT)]);
    expect(readFileSync(conffile, 'utf8')).toBe(edited);
    expect(mode(conffile)).toBe('0600');
  }, SLOW_MS);

  itAsRoot('purge removes the packages and their state, and never the cluster\'s own files', async () => {
    const plant = (path: string) => {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), 'x\n');
    };
    const clusterFiles = ['etc/kubernetes/admin.conf', 'etc/kubernetes/manifests/haproxy.yaml', 'var/lib/kubelet/config.json', 'etc/keepalived/keepalived.conf', 'etc/haproxy/haproxy.cfg'];
    clusterFiles.forEach(plant);
    plant('var/lib/kubeadm-ha/agent.key');
    plant('var/lib/kubeadm-ha-coordinator/admin.conf');
    await dpkg(['--purge', AGENT, COORDINATOR]);
    for (const gone of ['var/lib/kubeadm-ha', 'var/lib/kubeadm-ha-coordinator', 'etc/kubeadm-ha', 'usr/bin/kubeadm-ha-agent', 'etc/default/kubeadm-ha-coordinator', `etc/systemd/system/multi-user.target.wants/${AGENT}.service`]) {
      expect(existsSync(join(root, gone)), gone).toBe(false);
    }
    for (const kept of clusterFiles) expect(readFileSync(join(root, kept), 'utf8'), kept).toBe('x\n');
  }, SLOW_MS);
});

describe('maintainer scripts on a systemd host', () => {
  /**
   * Runs a package's maintainer script as dpkg would on a booted systemd host, in a private mount namespace: /etc
   * and /var/lib are overlays whose writes land in a scratch directory, /usr shows the package's files over the
   * host's, /run/systemd/system exists, and systemctl / deb-systemd-helper / deb-systemd-invoke are stand-ins that
   * record their arguments.
   */
  async function runScript(pkgFile: string, script: string, args: string[], files: Record<string, string>): Promise<{ calls: string[]; stdout: string; stateMode: string }> {
    const scratch = mkdtempSync(join(tmpdir(), 'kubeadm-ha-maint-'));
    try {
      const [pkgRoot, control, stubs] = ['pkg', 'control', 'stubs'].map((d) => join(scratch, d));
      await ok('dpkg-deb', ['-x', pkgFile, pkgRoot!]);
      await ok('dpkg-deb', ['-e', pkgFile, control!]);
      mkdirSync(stubs!);
      for (const tool of ['systemctl', 'deb-systemd-helper', 'deb-systemd-invoke']) {
        writeFileSync(join(stubs!, tool), `#!/bin/sh\necho "${tool} $*" >> ${scratch}/calls\nexit 0\n`, { mode: 0o755 });
      }
      for (const d of ['etc-up', 'etc-work', 'var-up', 'var-work', 'files']) mkdirSync(join(scratch, d));
      const installs = Object.entries(files).map(([path, content], i) => {
        writeFileSync(join(scratch, 'files', String(i)), content);
        return `mkdir -p ${dirname(path)} && cp ${scratch}/files/${i} ${path}`;
      });
      const harness = [
        'set -e',
        `mount -t overlay overlay -o lowerdir=/etc,upperdir=${scratch}/etc-up,workdir=${scratch}/etc-work /etc`,
        `mount -t overlay overlay -o lowerdir=/var/lib,upperdir=${scratch}/var-up,workdir=${scratch}/var-work /var/lib`,
        `mount -t overlay overlay -o lowerdir=${pkgRoot}/usr:/usr /usr`,
        'mount -t tmpfs tmpfs /run',
        'mkdir -p /run/systemd/system',
        ...installs,
        `: > ${scratch}/calls`,
        `PATH=${stubs}:${SYSTEM_PATH} ${control}/${script} "$@"`,
        `stat -c %a /var/lib/kubeadm-ha > ${scratch}/state-mode 2>/dev/null || echo absent > ${scratch}/state-mode`,
      ].join('\n');
      const stdout = await ok('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', harness, 'harness', ...args]);
      return {
        calls: readFileSync(join(scratch, 'calls'), 'utf8').trim().split('\n').filter(Boolean),
        stdout,
        stateMode: readFileSync(join(scratch, 'state-mode'), 'utf8').trim(),
      };
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }

  const FILLED_AGENT_YAML = `coordinator: 198.18.0.2:9443\ntoken: k8sha1.0123456789abcdef\ncaCertHash: sha256:${'ab'.repeat(32)}\n`;
  const TEMPLATE_AGENT_YAML = readFileSync(join(ROOT, 'packaging/etc/agent.yaml'), 'utf8');
  const FILLED_COORDINATOR = 'KUBEADM_HA_COORDINATOR_OPTS="--cluster prod --advertise 198.18.0.2:9443"\n';
  const TEMPLATE_COORDINATOR = readFileSync(join(ROOT, 'packaging/etc/kubeadm-ha-coordinator.default'), 'utf8');

  itAsRoot('agent postinst on first install enables the unit but does not start it while agent.yaml is the template', async () => {
    const r = await runScript(deb(AGENT), 'postinst', ['configure', ''], { '/etc/kubeadm-ha/agent.yaml': TEMPLATE_AGENT_YAML });
    expect(r.calls).toContain('deb-systemd-helper enable kubeadm-ha-agent.service');
    expect(r.calls.filter((c) => c.startsWith('deb-systemd-invoke'))).toEqual([]);
    expect(r.stdout).toMatch(/enabled but not started: fill in \/etc\/kubeadm-ha\/agent.yaml/);
    expect(r.stateMode).toBe('700');
  });

  itAsRoot('agent postinst starts the agent once agent.yaml is filled in, try-restarts it on upgrade (a drain, never a kill), and never prints the token', async () => {
    const fresh = await runScript(deb(AGENT), 'postinst', ['configure', ''], { '/etc/kubeadm-ha/agent.yaml': FILLED_AGENT_YAML });
    expect(fresh.calls).toContain('deb-systemd-invoke start kubeadm-ha-agent.service');
    const upgrade = await runScript(deb(AGENT), 'postinst', ['configure', '0.0.9'], { '/etc/kubeadm-ha/agent.yaml': FILLED_AGENT_YAML });
    // try-restart: a running agent drains (KillMode=mixed, SIGTERM) and a running kubeadm finishes; a stopped one stays stopped.
    expect(upgrade.calls.filter((c) => c.startsWith('deb-systemd-invoke'))).toEqual(['deb-systemd-invoke try-restart kubeadm-ha-agent.service']);
    expect(upgrade.stdout).toMatch(/a running kubeadm init\/join\/reset finishes first/);
    expect(fresh.stdout + upgrade.stdout).not.toContain('0123456789abcdef');
  });

  itAsRoot('agent prerm stops the agent on removal and not on upgrade', async () => {
    expect((await runScript(deb(AGENT), 'prerm', ['remove'], {})).calls).toEqual(['deb-systemd-invoke stop kubeadm-ha-agent.service']);
    expect((await runScript(deb(AGENT), 'prerm', ['upgrade', VERSION], {})).calls).toEqual([]);
  });

  itAsRoot('coordinator postinst starts the coordinator only once --cluster is set, and prerm stops it on removal', async () => {
    const template = await runScript(deb(COORDINATOR), 'postinst', ['configure', ''], { '/etc/default/kubeadm-ha-coordinator': TEMPLATE_COORDINATOR });
    expect(template.calls).toContain('deb-systemd-helper enable kubeadm-ha-coordinator.service');
    expect(template.calls.filter((c) => c.startsWith('deb-systemd-invoke'))).toEqual([]);
    expect(template.stdout).toMatch(/enabled but not started: set --cluster/);
    const filled = await runScript(deb(COORDINATOR), 'postinst', ['configure', ''], { '/etc/default/kubeadm-ha-coordinator': FILLED_COORDINATOR });
    expect(filled.calls).toContain('deb-systemd-invoke start kubeadm-ha-coordinator.service');
    expect((await runScript(deb(COORDINATOR), 'prerm', ['remove'], {})).calls).toEqual(['deb-systemd-invoke stop kubeadm-ha-coordinator.service']);
  });
});

describe('the units\' ExecCondition checks', () => {
  let scratch = '';
  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'kubeadm-ha-check-'));
  });
  afterAll(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });
  /** Runs a check on a file holding `content` (absent when null), or with no argument and `env` when `env` is given. */
  const check = (script: string, content: string | null, env?: NodeJS.ProcessEnv) => {
    const file = join(scratch, 'config');
    rmSync(file, { force: true });
    if (content !== null) writeFileSync(file, content);
    return run('sh', [join(ROOT, 'packaging/libexec', script), ...(env ? [] : [file])], { env: { PATH: SYSTEM_PATH, ...env } });
  };

  it('agent-configured accepts a filled-in agent.yaml and rejects the template, a kubeadm example token and a missing file without echoing secrets', async () => {
    expect((await check('agent-configured', `coordinator: 198.18.0.2:9443\ntoken: "k8sha1.0123456789abcdef"\ncaCertHash: sha256:${'0'.repeat(64)}\n`)).status).toBe(0);
    const template = await check('agent-configured', readFileSync(join(ROOT, 'packaging/etc/agent.yaml'), 'utf8'));
    expect(template.status).toBe(1);
    expect(template.stderr).toMatch(/does not set: coordinator token caCertHash/);
    const example = await check('agent-configured', `coordinator: 198.18.0.2:9443\ntoken: abcdef.0123456789abcdef\ncaCertHash: sha256:${'0'.repeat(64)}\n`);
    expect(example.status).toBe(1);
    expect(example.stderr).not.toContain('0123456789abcdef');
    expect((await check('agent-configured', null)).status).toBe(1);
  });

  it('coordinator-configured wants --cluster with a value, from its file argument or from the unit\'s environment', async () => {
    expect((await check('coordinator-configured', 'KUBEADM_HA_COORDINATOR_OPTS="--advertise 198.18.0.2:9443 --cluster=prod"\n')).status).toBe(0);
    expect((await check('coordinator-configured', readFileSync(join(ROOT, 'packaging/etc/kubeadm-ha-coordinator.default'), 'utf8'))).status).toBe(1);
    expect((await check('coordinator-configured', 'KUBEADM_HA_COORDINATOR_OPTS="--cluster --advertise 198.18.0.2:9443"\n')).status).toBe(1);
    expect((await check('coordinator-configured', null, { KUBEADM_HA_COORDINATOR_OPTS: '--cluster prod' })).status).toBe(0);
    expect((await check('coordinator-configured', null, { KUBEADM_HA_COORDINATOR_OPTS: '' })).status).toBe(1);
  });
});
