/** Running the host tools the lab is built with (`ip`, `unshare`, `curl`, …), with errors that say what failed. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { execa } from 'execa';
import { CommandError } from '../../core/errors.js';

/** Root's PATH on Debian: CI and sudo may hand us a PATH without the sbin directories where `ip` and the daemons live. */
export const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function pathWithSbin(path = process.env.PATH ?? ''): string {
  const parts = path.split(':').filter(Boolean);
  for (const dir of SYSTEM_PATH.split(':')) if (!parts.includes(dir)) parts.push(dir);
  return parts.join(':');
}

/** Absolute path of a system tool, so that a PATH without /usr/sbin does not matter. */
export function systemTool(name: string): string {
  for (const dir of SYSTEM_PATH.split(':')) {
    const candidate = `${dir}/${name}`;
    if (existsSync(candidate)) return candidate;
  }
  return name;
}

export const IP = systemTool('ip');

export interface RunOptions {
  input?: string;
  env?: Record<string, string>;
  cwd?: string;
  timeoutMs?: number;
  /** Default true: a non-zero exit throws CommandError. */
  reject?: boolean;
}

export interface RunResult {
  readonly command: string;
  /** null when the process was killed (by a signal or the timeout) or could not start. */
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

function display(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

function tail(text: string, max = 2000): string {
  return text.length > max ? `…${text.slice(-max)}` : text;
}

export async function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const r = await execa(cmd, args, {
    reject: false,
    input: opts.input,
    cwd: opts.cwd,
    timeout: opts.timeoutMs,
    env: { PATH: pathWithSbin(), ...opts.env },
    extendEnv: true,
    stripFinalNewline: false,
  });
  const result: RunResult = {
    command: display(cmd, args),
    exitCode: typeof r.exitCode === 'number' ? r.exitCode : null,
    signal: r.signal ?? null,
    timedOut: Boolean(r.timedOut),
    stdout: typeof r.stdout === 'string' ? r.stdout : '',
    stderr: typeof r.stderr === 'string' ? r.stderr : r.failed && !r.stderr ? String(r.message ?? '') : '',
  };
  if (opts.reject !== false && result.exitCode !== 0) {
    const why = result.timedOut ? `timed out after ${opts.timeoutMs} ms; ${result.stderr}` : result.stderr || r.message || '';
    throw new CommandError(result.command, result.exitCode, tail(why));
  }
  return result;
}

/** For exit handlers, where nothing asynchronous runs any more. Never throws; returns stdout or undefined. */
export function runSyncQuiet(cmd: string, args: readonly string[]): string | undefined {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
  } catch {
    return undefined;
  }
}
