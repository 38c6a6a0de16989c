// Lays a package's files out in a directory, exactly as they will sit on the host: modes set explicitly (never
// left to the umask) and every timestamp pinned to SOURCE_DATE_EPOCH, so two builds of a commit are identical.
import { chmodSync, copyFileSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

function ensureDir(path) {
  try {
    mkdirSync(path);
    chmodSync(path, 0o755);
  } catch (err) {
    if (err.code !== 'EEXIST') throw err;
  }
}

/**
 * @param {{ stageDir: string, root: string, binDir: string, layout: { files: object[], dirs: object[] }, generated: Record<string, Buffer|string>, epoch: number }} o
 */
export function stagePackage({ stageDir, root, binDir, layout, generated, epoch }) {
  rmSync(stageDir, { recursive: true, force: true });
  mkdirSync(dirname(stageDir), { recursive: true });
  ensureDir(stageDir);
  const parents = (path) => {
    let current = stageDir;
    for (const part of dirname(path).split('/').filter(Boolean)) {
      current = join(current, part);
      ensureDir(current);
    }
  };
  for (const dir of layout.dirs) {
    parents(dir.path);
    ensureDir(join(stageDir, dir.path));
    chmodSync(join(stageDir, dir.path), dir.mode);
  }
  for (const file of layout.files) {
    parents(file.path);
    const target = join(stageDir, file.path);
    if (file.binary) copyFileSync(join(binDir, file.binary), target);
    else if (file.source) copyFileSync(join(root, file.source), target);
    else if (file.generated) {
      if (generated[file.generated] === undefined) throw new Error(`nothing generated for ${file.generated} (${file.path})`);
      writeFileSync(target, generated[file.generated]);
    } else throw new Error(`${file.path}: no source`);
    chmodSync(target, file.mode);
  }
  touchTree(stageDir, epoch);
}

export function touchTree(dir, epoch) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) touchTree(path, epoch);
    utimesSync(path, epoch, epoch);
  }
  utimesSync(dir, epoch, epoch);
}

/** Installed-Size as dpkg-gencontrol computes it: KiB per file rounded up, one per directory. Call before DEBIAN/ exists. */
export function installedSizeKiB(dir) {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += 1 + installedSizeKiB(path);
    else total += Math.ceil(statSync(path).size / 1024);
  }
  return total;
}
