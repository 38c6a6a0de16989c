// Node single executable applications: the pinned Node runtime (lib/node-runtime.mjs) plus a blob holding the bundle
// and its V8 code cache.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

// The sentinel Node's own build places in every binary; postject flips it so the binary looks for its blob.
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const require = createRequire(import.meta.url);

function run(cmd, args, what) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    throw new Error(`${what} failed (${cmd} ${args.join(' ')}):\n${err.stderr || err.stdout || err.message}`);
  }
}

/**
 * A stripped copy of the Node binary `source`. Release builds keep symbols and debug info, which are of no use on a
 * production host; lintian also rejects an unstripped ELF in /usr/bin. Stripping happens before injection because
 * strip rewrites the section table that holds the blob.
 */
export function prepareBaseBinary(workDir, source) {
  if (!readFileSync(source).includes(SEA_FUSE)) {
    throw new Error(`${source} was built without single executable application support (no ${SEA_FUSE}); use an official Node build`);
  }
  const base = join(workDir, 'node-base');
  run('strip', ['--strip-all', '-o', base, source], 'stripping the Node binary (binutils)');
  return base;
}

/**
 * Writes the executable `output` from `bundle` (a CommonJS file) and the stripped Node `base`. `node` prepares the
 * blob and must be the same release as `base`: the blob's code cache is V8 bytecode, which only that V8 accepts.
 * `execArgv` are Node/V8 flags built into the executable (the blob's execArgv, which the pinned Node 24 reads;
 * NODE_OPTIONS still adds to them). V8 rejects a code cache made under other flags (--jitless, for one, is part of its
 * check), so the blob is prepared under the same flags.
 */
export function buildExecutable({ node, base, bundle, output, workDir, name, execArgv = [] }) {
  const blob = join(workDir, `${name}.blob`);
  const config = join(workDir, `${name}.sea.json`);
  writeFileSync(
    config,
    JSON.stringify({
      main: bundle,
      output: blob,
      // The warning goes to stderr on every start of a daemon whose stderr is the journal.
      disableExperimentalSEAWarning: true,
      // Compiled bytecode in the blob: the agent starts on every boot and after every restart.
      useCodeCache: true,
      execArgv: [...execArgv],
    }),
  );
  run(node, [...execArgv, '--experimental-sea-config', config], `preparing the blob for ${name}`);
  if (!existsSync(blob)) throw new Error(`node --experimental-sea-config wrote no ${blob}`);
  copyFileSync(base, output);
  chmodSync(output, 0o755);
  // postject is plain JavaScript that edits the ELF file: the Node running the build can run it.
  const postject = join(require.resolve('postject/package.json'), '..', 'dist', 'cli.js');
  run(process.execPath, [postject, output, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE], `injecting the blob into ${name} (postject)`);
  chmodSync(output, 0o755);
}

/**
 * Runs `binary --version` with an empty environment (no PATH, so no node) and checks the line it prints, and that it
 * prints nothing else: a rejected code cache (flags that differ from the blob's) or a flag V8 overrides says so on
 * stderr, and would on every start.
 */
export function checkVersion(binary, expected) {
  const r = spawnSync(binary, ['--version'], { env: {}, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
  if (r.error) throw new Error(`${binary} --version: ${r.error.message}`);
  const out = r.stdout.trim();
  if (r.status !== 0 || out !== expected) {
    throw new Error(`${binary} --version exited ${r.status} printing ${JSON.stringify(out)}, expected ${JSON.stringify(expected)}\n${r.stderr}`);
  }
  if (r.stderr.trim() !== '') throw new Error(`${binary} --version wrote to stderr:\n${r.stderr}`);
  return out;
}
