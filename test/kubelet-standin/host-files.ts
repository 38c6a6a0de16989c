/**
 * Puts rendered files under a host root the way the agent does: parent directories root-owned 0755 (keepalived's
 * enable_script_security refuses scripts under anything writable by others), each file written to a hidden
 * temp name and renamed into place, so the kubelet stand-in never reads half a manifest.
 */
import { chmodSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';

export interface HostFile {
  /** Absolute path on the host, e.g. `/etc/keepalived/keepalived.conf`. */
  readonly path: string;
  readonly mode: number;
  readonly content: string;
}

export function installHostFiles(root: string, files: readonly HostFile[]): void {
  for (const f of files) {
    if (!f.path.startsWith('/')) throw new Error(`host file path ${f.path} is not absolute`);
    const target = join(root, f.path);
    mkdirSync(dirname(target), { recursive: true, mode: 0o755 });
    const temp = join(dirname(target), `.${basename(target)}.tmp-${process.pid}`);
    writeFileSync(temp, f.content, { mode: f.mode });
    chmodSync(temp, f.mode);
    renameSync(temp, target);
  }
}

export function removeHostFiles(root: string, paths: readonly string[]): void {
  for (const p of paths) rmSync(join(root, p), { force: true });
}
