import { KubeadmHaError } from '../../core/errors.js';
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
  const changed: string[] = [];
  for (const file of files) {
    if (!file.path.startsWith('/')) throw new KubeadmHaError(`refusing to write a relative path: ${file.path}`);
    const mode = file.mode & 0o7777;
    if (sameBytes(await host.readFile(file.path), file.content)) {
      if ((await host.mode(file.path)) !== mode) {
        await host.chmod(file.path, mode);
        changed.push(file.path);
      }
      continue;
    }
    await host.writeFile(file.path, file.content, mode);
    changed.push(file.path);
  }
  for (const path of removePaths) if (await host.remove(path)) changed.push(path);
  return changed;
}
