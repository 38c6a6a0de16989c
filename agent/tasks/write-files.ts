/**
 * The writeFiles task: the one way the coordinator puts files on a host or takes them away.
 *
 * Who may cause a write: only the coordinator, over this agent's mTLS session, with a writeFiles task (its `files` and
 * `removePaths`). What it can reach: only the allow-list of core/host/owned-paths.ts, the files kubeadm-ha renders and
 * removes (keepalived, haproxy, our static pods, the kubelet registry auth, drop-in and unit, the modules-load and sysctl
 * files, and what is below /etc/kubeadm-ha except agent.yaml). Any other path, a `..`, a symbolic link on the way, a
 * setuid/setgid/sticky or world-writable mode, or a secret file readable by others is refused with an AuthError that
 * names the path, before anything of the task is touched; HostOps refuses links and unsafe modes once more per file.
 */
import { checkHostWrite, normaliseHostPath } from '../../core/host/owned-paths.js';
import type { HostOps } from '../hostops.js';

export interface FileToWrite {
  readonly path: string;
  readonly mode: number;
  readonly content: Uint8Array | string;
}

function sameBytes(a: string | undefined, b: Uint8Array | string): boolean {
  if (a === undefined) return false;
  return Buffer.from(a, 'utf8').equals(typeof b === 'string' ? Buffer.from(b, 'utf8') : Buffer.from(b));
}

/**
 * Writes files atomically with their modes and removes paths; reports what actually changed so that callers restart
 * only what must restart, and a re-run deploy is a no-op on disk.
 */
export async function writeFiles(host: HostOps, files: readonly FileToWrite[], removePaths: readonly string[] = []): Promise<string[]> {
  // The whole task first: a refused path anywhere in it means nothing of it is read, written or removed (reading
  // through a planted link would tell the coordinator whether a file it may not touch has the content it guessed).
  checkHostWrite(files, removePaths);
  for (const path of [...files.map((f) => f.path), ...removePaths]) await host.checkMutable(path);
  const changed: string[] = [];
  for (const file of files) {
    const path = normaliseHostPath(file.path);
    const mode = file.mode;
    if (sameBytes(await host.readFile(path), file.content)) {
      if ((await host.mode(path)) !== mode) {
        await host.chmod(path, mode);
        changed.push(path);
      }
      continue;
    }
    await host.writeFile(path, file.content, mode);
    changed.push(path);
  }
  for (const raw of removePaths) {
    const path = normaliseHostPath(raw);
    if (await host.remove(path)) changed.push(path);
  }
  return changed;
}
