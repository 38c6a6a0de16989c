/**
 * HostOps for unit tests: real files under a temporary root, and a scripted command runner that answers by command
 * line and records every call. No test built on it touches the machine it runs on.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandError } from '../../core/errors.js';
import { redactArgv, redactSecrets } from '../../core/redact.js';
import { silentLogger } from '../../lib/log.js';
import { LocalHostOps, tail, type ExecOptions, type ExecResult } from '../../agent/hostops.js';

export interface ScriptedAnswer {
  exitCode?: number;
  stdout?: string;
  stderr?: string;
}

type Matcher = string | RegExp | ((commandLine: string) => boolean);

export class ScriptedHostOps extends LocalHostOps {
  readonly calls: string[] = [];
  /** What each call got on stdin, by its index in `calls`. */
  readonly inputs = new Map<number, string>();
  private readonly answers: { matcher: Matcher; answer: ScriptedAnswer | ((line: string) => ScriptedAnswer) }[] = [];

  constructor(root = mkdtempSync(join(tmpdir(), 'kha-host-'))) {
    super(root, silentLogger);
  }

  /** Later rules win, so a test can override a default. Unmatched commands succeed with no output. */
  on(matcher: Matcher, answer: ScriptedAnswer | ((line: string) => ScriptedAnswer)): this {
    this.answers.unshift({ matcher, answer });
    return this;
  }

  override async exec(command: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const line = [command, ...args].join(' ');
    this.calls.push(line);
    if (options.input !== undefined) this.inputs.set(this.calls.length - 1, options.input);
    const rule = this.answers.find(({ matcher }) =>
      typeof matcher === 'string' ? line === matcher || line.startsWith(`${matcher} `) : matcher instanceof RegExp ? matcher.test(line) : matcher(line),
    );
    const answer = rule ? (typeof rule.answer === 'function' ? rule.answer(line) : rule.answer) : {};
    const result = { exitCode: answer.exitCode ?? 0, stdout: answer.stdout ?? '', stderr: answer.stderr ?? '' };
    for (const l of `${result.stdout}${result.stderr}`.split('\n').filter(Boolean)) options.onLine?.(redactSecrets(l, options.secrets));
    if (result.exitCode !== 0 && !options.allowFailure) {
      const shown = redactSecrets(redactArgv([command, ...args], options.secrets).join(' '), options.secrets);
      throw new CommandError(shown, result.exitCode, redactSecrets(tail(result.stderr || result.stdout), options.secrets));
    }
    return result;
  }

  dispose(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}
