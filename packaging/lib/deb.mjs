// .deb packages with dpkg-deb, the way dpkg-gencontrol and dh_* would lay out DEBIAN/, without a source package.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { installedSizeKiB, touchTree } from './stage.mjs';

const run = promisify(execFile);
const MAINTAINER_SCRIPTS = ['postinst', 'prerm', 'postrm'];

/** `version` from package.json as Debian orders it: 1.2.0-rc.1 sorts before 1.2.0 only when written 1.2.0~rc.1. */
export function debianVersion(version) {
  return version.replace(/\+.*$/, '').replace('-', '~');
}

export async function debArchitecture() {
  return (await run('dpkg', ['--print-architecture'])).stdout.trim();
}

/** The shared libraries the executables link against, as Depends entries (what dpkg-shlibdeps would add). */
export async function shlibDepends(binaries) {
  const dir = mkdtempSync(join(tmpdir(), 'kubeadm-ha-shlibdeps-'));
  try {
    mkdirSync(join(dir, 'debian'));
    writeFileSync(join(dir, 'debian', 'control'), 'Source: kubeadm-ha\n\nPackage: kubeadm-ha\nArchitecture: any\n');
    const { stdout } = await run('dpkg-shlibdeps', ['-O', ...binaries.map((b) => `-e${b}`)], { cwd: dir });
    const line = stdout.split('\n').find((l) => l.startsWith('shlibs:Depends='));
    if (!line) throw new Error(`dpkg-shlibdeps printed no shlibs:Depends for ${binaries.join(', ')}`);
    return line.slice('shlibs:Depends='.length).split(/,\s*/).filter(Boolean);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function md5(path) {
  return createHash('md5').update(readFileSync(path)).digest('hex');
}

/**
 * Writes DEBIAN/ into the staged tree and builds `<out>/<name>_<version>_<arch>.deb`.
 * @param {{ pkg: object, layout: object, stageDir: string, outDir: string, root: string, version: string, arch: string, maintainer: string, depends: string[], epoch: number }} o
 */
export async function buildDeb({ pkg, layout, stageDir, outDir, root, version, arch, maintainer, depends, epoch }) {
  const installedSize = installedSizeKiB(stageDir);
  const control = join(stageDir, 'DEBIAN');
  mkdirSync(control, { mode: 0o755 });
  chmodSync(control, 0o755);
  const fields = [
    ['Package', pkg.name],
    ['Source', 'kubeadm-ha'],
    ['Version', version],
    ['Architecture', arch],
    ['Maintainer', maintainer],
    ['Installed-Size', String(installedSize)],
    ['Depends', depends.join(', ')],
    ...(pkg.debRecommends.length > 0 ? [['Recommends', pkg.debRecommends.join(', ')]] : []),
    ['Section', 'admin'],
    ['Priority', 'optional'],
    ['Description', `${pkg.summary}\n${pkg.description.map((l) => ` ${l}`).join('\n')}`],
  ];
  writeFileSync(join(control, 'control'), fields.map(([k, v]) => `${k}: ${v}`).join('\n') + '\n');
  const conffiles = layout.files.filter((f) => f.conffile).map((f) => f.path);
  if (conffiles.length > 0) writeFileSync(join(control, 'conffiles'), conffiles.join('\n') + '\n');
  // dh_md5sums leaves conffiles out: dpkg tracks their checksums itself.
  const sums = layout.files
    .filter((f) => !f.conffile)
    .map((f) => `${md5(join(stageDir, f.path))}  ${f.path.slice(1)}`)
    .sort((a, b) => (a.slice(34) < b.slice(34) ? -1 : 1));
  writeFileSync(join(control, 'md5sums'), sums.join('\n') + '\n');
  const scriptsDir = join(root, 'packaging', 'debian', pkg.name.replace(/^kubeadm-ha-/, ''));
  for (const script of MAINTAINER_SCRIPTS) {
    const source = join(scriptsDir, script);
    if (!existsSync(source)) continue;
    copyFileSync(source, join(control, script));
    chmodSync(join(control, script), 0o755);
  }
  for (const f of ['control', 'md5sums', ...(conffiles.length > 0 ? ['conffiles'] : [])]) chmodSync(join(control, f), 0o644);
  touchTree(stageDir, epoch);
  const output = join(outDir, `${pkg.name}_${version}_${arch}.deb`);
  // xz, as Debian's own packages (lintian on Debian 12 rejects zstd members). Level 1: for a 90 MB executable it
  // is six times faster than the default level 6 for a package 15 % larger.
  await run('dpkg-deb', ['--root-owner-group', '-Zxz', '-z1', '--build', stageDir, output], {
    env: { ...process.env, SOURCE_DATE_EPOCH: String(epoch) },
    maxBuffer: 16 << 20,
  });
  return output;
}
