/**
 * Every side effect the agent has on its host goes through HostOps: commands and files. Production uses the real
 * root `/`; tests use a temporary root and a scripted runner, so no test ever touches the machine it runs on.
 */
import { access, chmod, readdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { CommandError, KubeadmHaError } from '../core/errors.js';
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
  /** `/` in production; a temporary directory in tests. Paths given to the file methods are host-absolute. */
  readonly root: string;
  exec(command: string, args: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  readFile(path: string): Promise<string | undefined>;
  writeFile(path: string, content: string | Uint8Array, mode: number): Promise<void>;
  /** Returns whether something was removed. Directories are removed recursively. */
  remove(path: string): Promise<boolean>;
  exists(path: string): Promise<boolean>;
  listDir(path: string): Promise<string[]>;
  /** The permission bits, or undefined when the path does not exist. */
  mode(path: string): Promise<number | undefined>;
  chmod(path: string, mode: number): Promise<void>;
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
    if (!path.startsWith('/')) throw new KubeadmHaError(`HostOps paths are host-absolute; got ${path}`);
    return this.root === '/' ? path : join(this.root, path);
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

  readFile(path: string): Promise<string | undefined> {
    return readFileIfExists(this.hostPath(path));
  }

  writeFile(path: string, content: string | Uint8Array, mode: number): Promise<void> {
    return writeFileAtomic(this.hostPath(path), content, mode);
  }

  async remove(path: string): Promise<boolean> {
    const existed = await this.exists(path);
    await rm(this.hostPath(path), { recursive: true, force: true });
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
    await chmod(this.hostPath(path), mode);
  }
}
