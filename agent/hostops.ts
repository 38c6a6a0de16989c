/**
 * Every side effect the agent has on its host goes through HostOps: commands and files. Production uses the real
 * root `/`; tests use a temporary root and a scripted runner, so no test ever touches the machine it runs on.
 *
 * The file methods are the last line for every writer, whoever asked (agent/tasks/write-files.ts checks the
 * coordinator's allow-list before it gets here): a path never leaves the host root (`..` is refused, never resolved),
 * a write, chmod or removal never goes through a symbolic link (each component below the root is checked with lstat,
 * so a link planted inside an allowed directory cannot point the write elsewhere), and no mode carries setuid, setgid,
 * sticky or world-write (core/host/owned-paths.ts).
 */
import { constants } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { access, chmod, copyFile, lstat, mkdir, open, readdir, rename, rm, stat, statfs } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { execa } from 'execa';
import { AuthError, CommandError, PreconditionError } from '../core/errors.js';
import { checkFileMode, normaliseHostPath } from '../core/host/owned-paths.js';
import { redactArgv, redactSecrets } from '../core/redact.js';
import { readFileIfExists, writeFileAtomic } from '../lib/fs.js';
import type { Logger } from '../lib/log.js';

export interface ExecOptions {
  readonly env?: Readonly<Record<string, string>>;
  readonly input?: string;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Values to mask in logs and error messages (tokens, certificate keys). */
  readonly secrets?: readonly string[];
  /** Return a non-zero exit instead of throwing CommandError. */
  readonly allowFailure?: boolean;
  /** Each output line as it arrives, already redacted, for progress streaming. */
  readonly onLine?: (line: string) => void;
}

export interface ExecResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface HostOps {
  /**
   * `/` in production; a temporary directory in tests. Paths given to the file methods are host-absolute; one with a
   * `..` segment is refused, so none reaches outside the root.
   */
  readonly root: string;
  exec(command: string, args: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  readFile(path: string): Promise<string | undefined>;
  /** Refuses a symbolic link on the way and a mode with setuid, setgid, sticky or world-write (AuthError naming the path). */
  writeFile(path: string, content: string | Uint8Array, mode: number): Promise<void>;
  /** Returns whether something was removed. Directories are removed recursively; a symbolic link on the way is refused. */
  remove(path: string): Promise<boolean>;
  exists(path: string): Promise<boolean>;
  listDir(path: string): Promise<string[]>;
  /** The permission bits, or undefined when the path does not exist. */
  mode(path: string): Promise<number | undefined>;
  /** Refuses as writeFile does. */
  chmod(path: string, mode: number): Promise<void>;
  /**
   * Appends `data` to a file that is exactly `offset` bytes long (creating it, mode `mode`, when offset is 0: any
   * earlier content is dropped), fsyncs, and returns its new size. A file of another size is an error: the writer
   * lost track and must start over. For bulk data that arrives in chunks (a staged etcd snapshot).
   */
  appendAt(path: string, offset: number, data: Uint8Array, mode: number): Promise<number>;
  /** Renames within one filesystem; refuses as writeFile does, for both paths. The target must not exist. */
  rename(from: string, to: string): Promise<void>;
  /**
   * Replaces `to` with a copy of the file `from`, mode `mode`, atomically (a reader sees the old file or the new one),
   * streamed rather than read into memory (a kubelet is ~100 MB). Refuses as writeFile does for `to`, and a `from` that
   * is not a regular file, or that or any directory above it is not root's or is writable by group or others: whatever the
   * agent installs to run as root must be something only root could have put there.
   */
  installFile(from: string, to: string, mode: number): Promise<void>;
  /** Throws what installFile throws for its `from`; lets a task check a binary before it runs it. */
  checkInstallable(path: string): Promise<void>;
  /** Creates a directory (and its parents) with `mode`; refuses as writeFile does. */
  makeDir(path: string, mode: number): Promise<void>;
  /** Bytes available to root on the filesystem that holds `path` (or its nearest existing parent). */
  freeBytes(path: string): Promise<number>;
  /** When the file was last written; undefined when it does not exist. */
  modifiedAt(path: string): Promise<Date | undefined>;
  /** The device (filesystem) holding `path`; undefined when it does not exist. Two paths can be renamed into each other only on one. */
  deviceOf(path: string): Promise<number | undefined>;
  /**
   * Throws the AuthError writeFile, chmod and remove would throw for a symbolic link on the way to `path`; lets a task
   * check all its paths before it changes anything.
   */
  checkMutable(path: string): Promise<void>;
}

export const STDERR_TAIL_LINES = 12;

export function tail(text: string, lines = STDERR_TAIL_LINES): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

export class LocalHostOps implements HostOps {
  readonly root: string;

  constructor(
    root: string,
    private readonly logger: Logger,
    private readonly baseEnv: Readonly<Record<string, string | undefined>> = process.env,
  ) {
    this.root = resolve(root);
  }

  private hostPath(path: string): string {
    const normal = normaliseHostPath(path);
    return this.root === '/' ? normal : join(this.root, normal);
  }

  /**
   * The real path of a file about to be written, chmodded or removed, once no component below the root is a symbolic
   * link: a link in /etc/kubeadm-ha pointing at /etc would otherwise turn an allowed write into any write. Components
   * that do not exist yet are fine (they are created as directories). The root itself is the operator's choice.
   */
  private async mutablePath(path: string): Promise<string> {
    const normal = normaliseHostPath(path);
    let current = this.root;
    for (const segment of normal.split('/').filter(Boolean)) {
      current = join(current, segment);
      try {
        if ((await lstat(current)).isSymbolicLink()) {
          const at = this.root === '/' ? current : current.slice(this.root.length);
          throw new AuthError(`refusing ${JSON.stringify(normal)}: ${at} is a symbolic link, and the agent never writes or removes through one`);
        }
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') break;
        throw err;
      }
    }
    if (normal === '/') throw new AuthError(`refusing ${JSON.stringify(path)}: the host root itself`);
    return this.hostPath(normal);
  }

  async exec(command: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const secrets = options.secrets ?? [];
    // Per argument (secret flags), then on the joined line (a known secret that spans arguments).
    const shown = redactSecrets(redactArgv([command, ...args], secrets).join(' '), secrets);
    this.logger.debug({ command: shown }, 'exec');
    const child = execa(command, [...args], {
      env: { ...this.baseEnv, ...options.env },
      extendEnv: false,
      input: options.input,
      timeout: options.timeoutMs,
      cancelSignal: options.signal,
      reject: false,
      all: false,
      stripFinalNewline: false,
    });
    if (options.onLine) {
      const onLine = options.onLine;
      for (const stream of [child.stdout, child.stderr]) {
        let buffered = '';
        stream?.on('data', (chunk: Buffer) => {
          buffered += chunk.toString('utf8');
          const lines = buffered.split('\n');
          buffered = lines.pop() ?? '';
          for (const line of lines) onLine(redactSecrets(line, secrets));
        });
      }
    }
    const result = await child;
    const stdout = String(result.stdout ?? '');
    const stderr = String(result.stderr ?? '');
    if (result.failed && result.exitCode === undefined) {
      const why = result.timedOut
        ? `timed out after ${options.timeoutMs} ms`
        : result.isCanceled
          ? 'was cancelled'
          : (result.originalMessage ?? 'could not be started');
      if (options.allowFailure) return { exitCode: -1, stdout, stderr: stderr || why };
      throw new CommandError(shown, null, redactSecrets(tail(stderr || why), secrets));
    }
    const exitCode = result.exitCode ?? -1;
    if (exitCode !== 0 && !options.allowFailure) throw new CommandError(shown, exitCode, redactSecrets(tail(stderr || stdout), secrets));
    return { exitCode, stdout, stderr };
  }

  async readFile(path: string): Promise<string | undefined> {
    return readFileIfExists(this.hostPath(path));
  }

  async checkMutable(path: string): Promise<void> {
    await this.mutablePath(path);
  }

  async writeFile(path: string, content: string | Uint8Array, mode: number): Promise<void> {
    checkFileMode(path, mode);
    await writeFileAtomic(await this.mutablePath(path), content, mode);
  }

  async remove(path: string): Promise<boolean> {
    const real = await this.mutablePath(path);
    const existed = await this.exists(path);
    await rm(real, { recursive: true, force: true });
    return existed;
  }

  async exists(path: string): Promise<boolean> {
    try {
      await access(this.hostPath(path));
      return true;
    } catch {
      return false;
    }
  }

  async listDir(path: string): Promise<string[]> {
    try {
      return (await readdir(this.hostPath(path))).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  async mode(path: string): Promise<number | undefined> {
    try {
      return (await stat(this.hostPath(path))).mode & 0o7777;
    } catch {
      return undefined;
    }
  }

  async chmod(path: string, mode: number): Promise<void> {
    checkFileMode(path, mode);
    await chmod(await this.mutablePath(path), mode);
  }

  async appendAt(path: string, offset: number, data: Uint8Array, mode: number): Promise<number> {
    checkFileMode(path, mode);
    const real = await this.mutablePath(path);
    if (offset === 0) await mkdir(dirname(real), { recursive: true });
    // O_NOFOLLOW: the last component was checked above, and must not turn into a link in between.
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | (offset === 0 ? constants.O_TRUNC : constants.O_APPEND);
    const handle = await open(real, flags, mode & 0o777);
    try {
      const size = (await handle.stat()).size;
      if (size !== offset) throw new PreconditionError(`${normaliseHostPath(path)} holds ${size} bytes, not ${offset}: start again from offset 0`);
      if (offset === 0) await handle.chmod(mode & 0o7777);
      for (let written = 0; written < data.length; ) written += (await handle.write(data, written, data.length - written)).bytesWritten;
      await handle.sync();
      return offset + data.length;
    } finally {
      await handle.close();
    }
  }

  async rename(from: string, to: string): Promise<void> {
    const [source, target] = [await this.mutablePath(from), await this.mutablePath(to)];
    if (await this.exists(to)) throw new AuthError(`refusing to rename ${normaliseHostPath(from)} onto ${normaliseHostPath(to)}, which exists`);
    await rename(source, target);
  }

  async installFile(from: string, to: string, mode: number): Promise<void> {
    checkFileMode(to, mode);
    await this.checkInstallable(from);
    const source = this.hostPath(from);
    const target = await this.mutablePath(to);
    await mkdir(dirname(target), { recursive: true, mode: 0o755 });
    const temp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await copyFile(source, temp, constants.COPYFILE_EXCL);
      await chmod(temp, mode);
      const handle = await open(temp, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, target);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }

  async checkInstallable(path: string): Promise<void> {
    const shown = normaliseHostPath(path);
    const source = this.hostPath(shown);
    const info = await lstat(source).catch(() => undefined);
    if (!info?.isFile())
      throw new PreconditionError(`${shown} is not a regular file${info?.isSymbolicLink() ? ' (a symbolic link)' : info ? '' : ' (it does not exist)'}`);
    // root, or the agent's own user where tests run it unprivileged. Every directory on the way counts: anyone who may
    // write one of them may rename what is below it and put their own file in its place after this check.
    const owners = new Set([0, process.getuid?.() ?? 0]);
    const checked: [string, { uid: number; mode: number }][] = [[shown, info]];
    for (let dir = dirname(shown); ; dir = dirname(dir)) {
      if (dir === '/' && this.root !== '/') break; // the root itself is the operator's choice
      checked.push([dir, await stat(this.hostPath(dir))]);
      if (dir === '/') break;
    }
    for (const [at, st] of checked) {
      if (!owners.has(st.uid) || (st.mode & 0o022) !== 0)
        throw new AuthError(
          `refusing to install ${shown}: ${at} is owned by uid ${st.uid} with mode ${(st.mode & 0o7777).toString(8)}; what the agent installs to run as root must be root's and writable by nobody else`,
        );
    }
  }

  async makeDir(path: string, mode: number): Promise<void> {
    checkFileMode(path, mode);
    const real = await this.mutablePath(path);
    await mkdir(real, { recursive: true, mode: mode & 0o777 });
    await chmod(real, mode & 0o7777);
  }

  async deviceOf(path: string): Promise<number | undefined> {
    try {
      return (await stat(this.hostPath(path))).dev;
    } catch {
      return undefined;
    }
  }

  async modifiedAt(path: string): Promise<Date | undefined> {
    try {
      return (await stat(this.hostPath(path))).mtime;
    } catch {
      return undefined;
    }
  }

  async freeBytes(path: string): Promise<number> {
    let current = this.hostPath(path);
    for (;;) {
      try {
        const fs = await statfs(current);
        return fs.bavail * fs.bsize;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || current === dirname(current)) throw err;
        current = dirname(current);
      }
    }
  }
}
