import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import { InputError } from '../core/errors.js';

/**
 * Writes a file so that readers see either the old content or the new, never half of it: a temp file in the same
 * directory, fsync, chmod before the rename (a secret is never world-readable, not even for a moment), rename, and
 * fsync of the directory so the rename survives a power cut.
 */
export async function writeFileAtomic(path: string, content: string | Uint8Array, mode: number): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', mode & 0o777);
  try {
    await handle.writeFile(content);
    await handle.chmod(mode & 0o7777);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await rm(temp, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  await chmod(path, mode & 0o7777);
  const dirHandle = await open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}

/** A file's text, or undefined when it does not exist; any other error (permissions, a directory) is thrown. */
export async function readFileIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Why an operator's file could not be read or written, in words: "no such file", not "ENOENT: …, open '…'". */
export function fileProblem(err: unknown): string {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTDIR':
      return 'a part of the path is a file, not a directory';
    case 'EEXIST':
      return 'a file is in the way';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOSPC':
      return 'no space left on the device';
    default:
      return (err as Error).message.split('\n')[0] ?? String(err);
  }
}

/**
 * A file an operator named (a flag, a spec field, admin.conf): its text, or an InputError that names the file, says
 * what is wrong in words and what to do (`hint`), on one line.
 */
export async function readUserFile(path: string, what: string, hint: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read ${what} ${path}: ${fileProblem(err)}; ${hint}`);
  }
}
