/**
 * The few error classes of kubeadm-ha. Each carries structured fields so that callers can map it
 * (to a gRPC status, an exit code, a table row) without parsing messages, and each adds its own
 * context to the message exactly once: `join-control-plane: master-2: kubeadm join exited 1: …`.
 */
import type { RuntimeRefusal } from './lb/runtime-answer.js';

export interface ErrorContext {
  phase?: string;
  host?: string;
}

function prefix(ctx: ErrorContext): string {
  return [ctx.phase, ctx.host]
    .filter((p): p is string => Boolean(p))
    .map((p) => `${p}: `)
    .join('');
}

/** Base class: anything kubeadm-ha raises on purpose. */
export class KubeadmHaError extends Error {
  readonly phase?: string;
  readonly host?: string;

  constructor(message: string, ctx: ErrorContext = {}, options?: { cause?: unknown }) {
    super(prefix(ctx) + message, options);
    this.name = new.target.name;
    this.phase = ctx.phase;
    this.host = ctx.host;
  }
}

/** One problem in the user's input, located by a path such as `spec.nodes[2].name`. */
export interface SpecIssue {
  path: string;
  message: string;
}

/** The spec (or another user input) is invalid; `issues` lists every problem at once. */
export class SpecError extends KubeadmHaError {
  readonly issues: readonly SpecIssue[];
  readonly source: string;

  constructor(source: string, issues: readonly SpecIssue[]) {
    super(`${source}: ${issues.length} problem${issues.length === 1 ? '' : 's'}:\n` + issues.map((i) => `  ${i.path}: ${i.message}`).join('\n'));
    this.source = source;
    this.issues = issues;
  }
}

/** A command run on a host failed. `stderrTail` is already redacted of secrets by whoever ran it. */
export class CommandError extends KubeadmHaError {
  readonly command: string;
  readonly exitCode: number | null;
  readonly stderrTail: string;

  constructor(command: string, exitCode: number | null, stderrTail: string, ctx: ErrorContext = {}) {
    const how = exitCode === null ? 'was killed' : `exited ${exitCode}`;
    super(`${command} ${how}${stderrTail ? `: ${stderrTail.trim()}` : ''}`, ctx);
    this.command = command;
    this.exitCode = exitCode;
    this.stderrTail = stderrTail;
  }
}

/** A precondition on a host or in the cluster does not hold (leftover VIP, port in use, missing binary). */
export class PreconditionError extends KubeadmHaError {}

/** Authentication or authorization failed (bad bootstrap token, unknown certificate, pin mismatch). */
export class AuthError extends KubeadmHaError {}

/**
 * A host's agent did not take a task because it is stopping (systemctl stop or restart, a package upgrade): nothing
 * was started, so sending the same task again once the agent is back is safe. Raised by the agent, rebuilt by the
 * coordinator from ERROR_CODE_UNAVAILABLE and shown as gRPC UNAVAILABLE: retry.
 */
export class UnavailableError extends KubeadmHaError {
  readonly retryable = true;
}

/**
 * This coordinator does not lead (coordinator HA: one leader among coordinators sharing one NATS state): it runs no
 * operation, holds no agent session and takes no mutating call. `leader` is the host:port of the one that leads, as
 * its lease names it ('' while nobody leads): agents and coordinatorctl dial it instead. Shown as gRPC UNAVAILABLE.
 */
export class NotLeaderError extends UnavailableError {
  constructor(
    message: string,
    readonly leader: string,
  ) {
    super(message);
  }
}

/** Something did not happen in time (agents not registered, apiserver not healthy). */
export class TimeoutError extends KubeadmHaError {}

/** Several hosts of one phase failed: every failure is kept, so one failed worker never hides another. */
export class HostsFailedError extends KubeadmHaError {
  readonly failures: readonly KubeadmHaError[];

  constructor(phase: string, failures: readonly KubeadmHaError[], total: number) {
    super(`${failures.length} of ${total} hosts failed:\n` + failures.map((f) => `  ${f.message}`).join('\n'), { phase });
    this.failures = failures;
  }
}

/** coordinatorctl: wrong flags or arguments; the CLI exits 2 with the command's usage. */
export class UsageError extends KubeadmHaError {}

/** coordinatorctl: the user's file could not be read; says which file and what to do, never a stack trace. */
export class InputError extends KubeadmHaError {}

/** Someone else wrote a stored record since it was read; re-read and decide again. */
export class StateConflictError extends PreconditionError {
  readonly key: string;
  readonly expectedRevision: number | undefined;

  constructor(key: string, message: string, expectedRevision?: number, options?: { cause?: unknown }) {
    super(`${key}: ${message}`, {}, options);
    this.key = key;
    this.expectedRevision = expectedRevision;
  }
}

/** A stored record that does not pass its schema: a bug or a hand edit, never silently used. */
export class StateCorruptError extends KubeadmHaError {}

/** haproxy printed something this parser does not understand (another format version, a truncated answer). */
export class RuntimeOutputError extends KubeadmHaError {
  constructor(
    what: string,
    problem: string,
    readonly text: string,
  ) {
    super(`${what}: ${problem}: ${JSON.stringify(text.slice(0, 200))}`);
  }
}

/** The master reported the reload failed: the old worker runs on with the previous configuration. */
export class ReloadRejectedError extends KubeadmHaError {}

/** Why a runtime-API command failed: haproxy's refusal, or no usable socket. */
export type RuntimeFailure = RuntimeRefusal | 'unreachable' | 'timeout' | 'connection-closed';

/** haproxy refused a command, or could not be talked to. `answer` is haproxy's own words (empty when it said nothing). */
export class HaproxyRuntimeError extends KubeadmHaError {
  readonly command: string;
  readonly answer: string;
  readonly failure: RuntimeFailure;
  readonly socketPath: string;

  constructor(socketPath: string, command: string, failure: RuntimeFailure, answer: string, options?: { cause?: unknown }) {
    const said = answer ? `: ${answer}` : '';
    super(`haproxy runtime API (${socketPath}): "${command}" failed (${failure})${said}`, {}, options);
    this.socketPath = socketPath;
    this.command = command;
    this.answer = answer;
    this.failure = failure;
  }

  /** The socket could not be used at all (haproxy not running, socket gone, no answer): a reload may help. */
  get unreachable(): boolean {
    return this.failure === 'unreachable' || this.failure === 'timeout' || this.failure === 'connection-closed';
  }
}

/** Adds phase/host context to an error raised deeper down, without repeating context it already has. */
export function withContext(err: unknown, ctx: ErrorContext): KubeadmHaError {
  if (err instanceof KubeadmHaError) {
    if ((ctx.phase && err.phase) || (ctx.host && err.host)) return err;
    const wrapped = Object.create(Object.getPrototypeOf(err)) as KubeadmHaError;
    Object.assign(wrapped, err);
    Object.defineProperty(wrapped, 'message', { value: prefix(ctx) + err.message, enumerable: false, writable: true });
    Object.defineProperty(wrapped, 'stack', { value: err.stack, enumerable: false, writable: true });
    (wrapped as { phase?: string }).phase = ctx.phase ?? err.phase;
    (wrapped as { host?: string }).host = ctx.host ?? err.host;
    return wrapped;
  }
  const message = err instanceof Error ? err.message : String(err);
  return new KubeadmHaError(message, ctx, { cause: err });
}
