// .rpm packages with rpmbuild (Debian's rpm package), from the same staged tree layout as the .deb.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { rpmChangelog } from './changelog.mjs';

const run = promisify(execFile);

const RPM_ARCH = { x64: 'x86_64', arm64: 'aarch64', ppc64: 'ppc64le', s390x: 's390x' };

export function rpmArchitecture(nodeArch = process.arch) {
  const arch = RPM_ARCH[nodeArch];
  if (!arch) throw new Error(`no RPM architecture known for ${nodeArch}`);
  return arch;
}

/**
 * Builds `<out>/<name>-<version>-1.<arch>.rpm` from the staged tree with packaging/rpm/<name>.spec.
 * @param {{ pkg: object, stageDir: string, topDir: string, outDir: string, root: string, version: string, arch: string, license: string, changelogEntries: object[], epoch: number }} o
 */
export async function buildRpm({ pkg, stageDir, topDir, outDir, root, version, arch, license, changelogEntries, epoch }) {
  rmSync(topDir, { recursive: true, force: true });
  for (const d of ['BUILD', 'BUILDROOT', 'RPMS', 'SOURCES', 'SPECS', 'SRPMS']) mkdirSync(join(topDir, d), { recursive: true });
  const spec = join(topDir, 'SPECS', `${pkg.name}.spec`);
  const template = readFileSync(join(root, 'packaging', 'rpm', `${pkg.name}.spec`), 'utf8');
  if (!template.includes('\n@DESCRIPTION@\n')) throw new Error(`packaging/rpm/${pkg.name}.spec has no @DESCRIPTION@ line under %description`);
  const description = pkg.description.join('\n').replace(/%/g, '%%');
  writeFileSync(spec, `${template.replace('\n@DESCRIPTION@\n', `\n${description}\n`).trimEnd()}\n\n%changelog\n${rpmChangelog(changelogEntries)}\n`);
  const defines = {
    _topdir: topDir,
    kha_version: version,
    kha_stage: stageDir,
    kha_license: license,
    kha_summary: pkg.summary,
    // Timestamps from SOURCE_DATE_EPOCH and a fixed build host: the same commit gives the same package.
    use_source_date_epoch_as_buildtime: '1',
    clamp_mtime_to_source_date_epoch: '1',
    _buildhost: 'kubeadm-ha.build',
    // xz level 1 with a thread per CPU, as for the .deb: fast for 90 MB executables, and every rpm reads it.
    _binary_payload: 'w1T0.xzdio',
  };
  const args = ['-bb', '--target', arch, ...Object.entries(defines).flatMap(([k, v]) => ['--define', `${k} ${v}`]), spec];
  try {
    await run('rpmbuild', args, { env: { ...process.env, SOURCE_DATE_EPOCH: String(epoch) }, maxBuffer: 64 << 20 });
  } catch (err) {
    throw new Error(`rpmbuild ${pkg.name} failed:\n${err.stderr || err.message}`);
  }
  const built = readdirSync(join(topDir, 'RPMS', arch)).filter((f) => f.endsWith('.rpm'));
  if (built.length !== 1) throw new Error(`rpmbuild ${pkg.name} produced ${built.length} packages: ${built.join(', ')}`);
  const output = join(outDir, built[0]);
  renameSync(join(topDir, 'RPMS', arch, built[0]), output);
  return output;
}
