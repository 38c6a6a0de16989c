#!/usr/bin/env node
// `npm run package`: bundles every entry point, builds the single-file executables into dist/bin/, then the .deb
// and .rpm of kubeadm-ha-agent and kubeadm-ha-coordinator into dist/packages/. Run after `npm run build`.
//   node packaging/build.mjs                  everything
//   node packaging/build.mjs --binaries-only  dist/bin/ only
// Why Node's single executable applications and not pkg: packaging/README.md.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BINARIES } from './lib/binaries.mjs';
import { dirtyFiles, resolveBuildInfo, resolveSourceDateEpoch } from './lib/build-info.mjs';
import { bundleEntry } from './lib/bundle.mjs';
import { gzipChangelog, readChangelog } from './lib/changelog.mjs';
import { buildManPages } from './lib/manpage.mjs';
import { projectLicense, renderCopyright } from './lib/copyright.mjs';
import { buildDeb, debArchitecture, debianVersion, shlibDepends } from './lib/deb.mjs';
import { PACKAGES } from './lib/layout.mjs';
import { buildRpm, rpmArchitecture } from './lib/rpm.mjs';
import { NODE_RUNTIME, prepareRuntime } from './lib/node-runtime.mjs';
import { buildExecutable, checkVersion, prepareBaseBinary } from './lib/sea.mjs';
import { stagePackage } from './lib/stage.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const binDir = join(root, 'dist', 'bin');
const packagesDir = join(root, 'dist', 'packages');
const workDir = join(root, 'dist', '.packaging');
// Verified runtime tarballs (about 50 MiB each), kept across builds; outside dist/.packaging, which every build removes.
const runtimeCache = process.env.KUBEADM_HA_NODE_CACHE || join(root, 'dist', '.cache', 'node');

const log = (line) => process.stdout.write(`package: ${line}\n`);

function requireTools(tools) {
  const missing = tools.filter((t) => {
    try {
      execFileSync('sh', ['-c', `command -v ${t}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length > 0)
    throw new Error(`missing ${missing.join(', ')}: run \`sudo npm run setup\` (installs binutils, dpkg-dev, rpm, lintian, systemd from Debian)`);
}

const mib = (bytes) => `${(bytes / 1048576).toFixed(1)} MiB`;

async function buildBinaries(buildInfo) {
  const present = BINARIES.filter((b) => existsSync(join(root, b.entry)));
  const missing = BINARIES.filter((b) => !existsSync(join(root, b.entry)));
  mkdirSync(binDir, { recursive: true });
  mkdirSync(workDir, { recursive: true });
  const node = prepareRuntime({ cacheDir: runtimeCache, workDir, log });
  const base = prepareBaseBinary(workDir, node);
  const metafiles = {};
  for (const binary of present) {
    const bundle = join(workDir, `${binary.name}.cjs`);
    const { metafile } = await bundleEntry({ entry: binary.entry, outfile: bundle, buildInfo, absWorkingDir: root, nodeVersion: NODE_RUNTIME.version });
    metafiles[binary.name] = metafile;
    const output = join(binDir, binary.name);
    buildExecutable({ node, base, bundle, output, workDir, name: binary.name, execArgv: binary.execArgv });
    checkVersion(output, `${binary.name} ${buildInfo.version} (${buildInfo.commit}) node ${NODE_RUNTIME.version}`);
    log(`${output} ${mib(statSync(output).size)} (bundle ${mib(statSync(bundle).size)})`);
  }
  if (missing.length > 0) {
    throw new Error(
      `missing entry point${missing.length > 1 ? 's' : ''}: ${missing.map((b) => `${b.entry} (for ${b.name})`).join(', ')}; built only ${present.map((b) => b.name).join(', ') || 'nothing'}`,
    );
  }
  return metafiles;
}

async function buildPackages(buildInfo, metafiles) {
  requireTools(['dpkg-deb', 'dpkg-shlibdeps', 'rpmbuild']);
  const version = debianVersion(buildInfo.version);
  const { text: changelogText, entries } = readChangelog(join(root, 'packaging', 'debian', 'changelog'));
  if (entries[0].version !== version) {
    throw new Error(
      `packaging/debian/changelog starts at ${entries[0].version} but package.json is ${buildInfo.version}: add an entry for ${version} (dch -v ${version})`,
    );
  }
  const epoch = resolveSourceDateEpoch(root);
  const license = projectLicense(root) ?? 'UNLICENSED';
  const [debArch, rpmArch] = [await debArchitecture(), rpmArchitecture()];
  rmSync(packagesDir, { recursive: true, force: true });
  mkdirSync(packagesDir, { recursive: true });

  // From the built executables' own --help: the pages cannot say other than the programs do.
  const manPages = buildManPages({
    binary: (name) => join(binDir, name),
    version: buildInfo.version,
    date: new Date(epoch * 1000).toISOString().slice(0, 10),
    packages: PACKAGES,
  });
  const builds = PACKAGES.map(async (pkg) => {
    const generated = {
      ...manPages,
      copyright: renderCopyright({
        pkgName: pkg.name,
        binaries: pkg.binaries,
        projectLicense: projectLicense(root),
        metafiles: pkg.binaries.map((b) => metafiles[b]),
        root,
        nodeVersion: `v${NODE_RUNTIME.version}`,
      }),
      changelog: gzipChangelog(changelogText),
    };
    const debLayout = pkg.layout('deb');
    const debStage = join(workDir, 'stage', 'deb', pkg.name);
    stagePackage({ stageDir: debStage, root, binDir, layout: debLayout, generated, epoch });
    const depends = [...(await shlibDepends(pkg.binaries.map((b) => join(binDir, b)))), ...pkg.debDepends];
    const rpmStage = join(workDir, 'stage', 'rpm', pkg.name);
    stagePackage({ stageDir: rpmStage, root, binDir, layout: pkg.layout('rpm'), generated, epoch });
    return Promise.all([
      buildDeb({
        pkg,
        layout: debLayout,
        stageDir: debStage,
        outDir: packagesDir,
        root,
        version,
        arch: debArch,
        maintainer: entries[0].maintainer,
        depends,
        epoch,
      }),
      buildRpm({
        pkg,
        stageDir: rpmStage,
        topDir: join(workDir, 'rpm', pkg.name),
        outDir: packagesDir,
        root,
        version,
        arch: rpmArch,
        license,
        changelogEntries: entries,
        epoch,
      }),
    ]);
  });
  const outputs = (await Promise.all(builds)).flat();
  const sums = outputs.map((file) => `${createHash('sha256').update(readFileSync(file)).digest('hex')}  ${file.slice(packagesDir.length + 1)}`);
  writeFileSync(join(packagesDir, 'SHA256SUMS'), sums.join('\n') + '\n');
  for (const file of outputs) log(`${file} ${mib(statSync(file).size)}`);
  return outputs;
}

async function main() {
  const binariesOnly = process.argv.includes('--binaries-only');
  const unknown = process.argv.slice(2).filter((a) => a !== '--binaries-only');
  if (unknown.length > 0) throw new Error(`unknown argument ${unknown.join(' ')}; usage: node packaging/build.mjs [--binaries-only]`);
  requireTools(['strip', 'git', 'npm', 'tar']);
  const buildInfo = resolveBuildInfo(root);
  if (!process.env.KUBEADM_HA_COMMIT && buildInfo.commit.endsWith('-dirty')) log(`-dirty: tracked files differ from HEAD: ${dirtyFiles(root).join(', ')}`);
  log(`kubeadm-ha ${buildInfo.version} (${buildInfo.commit}) on Node ${NODE_RUNTIME.version} (the build itself runs on ${process.version})`);
  const metafiles = await buildBinaries(buildInfo);
  if (!binariesOnly) await buildPackages(buildInfo, metafiles);
  // Only finished artifacts stay: the work directory holds bundles, blobs and staged copies of every executable.
  rmSync(workDir, { recursive: true, force: true });
}

main().catch((err) => {
  process.stderr.write(`package: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
