/**
 * A client for haproxy's runtime API (the admin stats socket) and its master CLI, over unix sockets.
 *
 * Two ways to talk to the stats socket, both used here:
 * - non-interactive: one line (one command, or a `;`-separated batch), then haproxy answers and closes. Cheap for a
 *   single command, but in a batch the answers run together: a refusal such as `No such server.` is not always
 *   followed by the blank line that ends an answer, so a batch's answers cannot be told apart reliably;
 * - interactive (`prompt`): one connection, each answer ends with the `> ` prompt, so every command gets its own
 *   answer and the first refusal stops the sequence. Measured against haproxy 2.6 (test/bench/runtime-apply.ts, the
 *   socket cost of adding a server: read the servers, add, enable health, enable), median 0.98 ms in one interactive
 *   session, 0.96 ms as a read plus one `;` batch, 1.55 ms with one connection per command. The applier therefore
 *   runs every change in an interactive session: as fast as a batch, and exact.
 *
 * The master CLI (`haproxy -W -S <socket>`) needs the client to half-close its side before it answers a
 * non-interactive command; the stats socket does not care, so both are sent that way.
 */
import { connect, type Socket } from 'node:net';
import { HaproxyRuntimeError, KubeadmHaError } from '../../core/errors.js';
import { answerProblem } from '../../core/lb/runtime-answer.js';
import {
  parseServerSessions,
  parseServersState,
  parseShowInfo,
  parseShowProc,
  type ProcessList,
  type RuntimeServer,
  type ServerSessions,
} from '../../core/lb/runtime-output.js';

export const DEFAULT_RUNTIME_TIMEOUT_MS = 5000;

export interface RuntimeClientOptions {
  /** Per command, including the connect. */
  readonly timeoutMs?: number;
}

function assertOneLine(socketPath: string, command: string, allowBatch: boolean): void {
  if (/[\r\n]/.test(command)) throw new HaproxyRuntimeError(socketPath, command, 'bad-argument', 'a command is one line');
  // An unescaped `;` would make haproxy run two commands and answer twice, which breaks answer-per-command framing.
  if (!allowBatch && /(^|[^\\]);/.test(command))
    throw new HaproxyRuntimeError(socketPath, command, 'bad-argument', 'one command per call; use send() for a batch');
}

/** One non-interactive exchange: the line, a half-close, everything haproxy writes until it closes. */
export function sendLine(socketPath: string, line: string, timeoutMs = DEFAULT_RUNTIME_TIMEOUT_MS): Promise<string> {
  assertOneLine(socketPath, line, true);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const socket = connect(socketPath);
    const finish = (err?: HaproxyRuntimeError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const timer = setTimeout(() => finish(new HaproxyRuntimeError(socketPath, line, 'timeout', Buffer.concat(chunks).toString('utf8').trim())), timeoutMs);
    socket.on('connect', () => socket.end(`${line}\n`));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) =>
      finish(new HaproxyRuntimeError(socketPath, line, 'unreachable', err.code ?? err.message, { cause: err })),
    );
    socket.on('close', () => finish());
  });
}

/** An interactive connection: one answer per command, in order. Not for concurrent use; close it when done. */
export class RuntimeSession {
  private buffer = '';
  private pending: { command: string; resolve: (answer: string) => void; reject: (err: Error) => void; timer: NodeJS.Timeout } | undefined;
  private closed = false;
  private readonly done: Promise<void>;

  private constructor(
    readonly socketPath: string,
    private readonly socket: Socket,
    private readonly timeoutMs: number,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    this.done = new Promise((resolve) => {
      socket.on('close', () => {
        this.closed = true;
        const waiting = this.pending;
        this.pending = undefined;
        if (waiting) {
          clearTimeout(waiting.timer);
          waiting.reject(new HaproxyRuntimeError(socketPath, waiting.command, 'connection-closed', this.buffer.trim()));
        }
        resolve();
      });
    });
    // Errors are reported through the pending command (close follows every error).
    socket.on('error', () => undefined);
  }

  static open(socketPath: string, options: RuntimeClientOptions = {}): Promise<RuntimeSession> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_RUNTIME_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const socket = connect(socketPath);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new HaproxyRuntimeError(socketPath, 'prompt', 'timeout', ''));
      }, timeoutMs);
      const fail = (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new HaproxyRuntimeError(socketPath, 'prompt', 'unreachable', err.code ?? err.message, { cause: err }));
      };
      socket.once('error', fail);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', fail);
        const session = new RuntimeSession(socketPath, socket, timeoutMs);
        // `prompt` must be the first line; haproxy answers it with the first prompt.
        session.send('prompt').then(
          () => resolve(session),
          (err: Error) => {
            socket.destroy();
            reject(err);
          },
        );
      });
    });
  }

  /** haproxy's answer to one command, whatever it says. */
  send(command: string): Promise<string> {
    assertOneLine(this.socketPath, command, false);
    if (this.pending) return Promise.reject(new KubeadmHaError(`RuntimeSession: "${command}" sent while "${this.pending.command}" awaits its answer`));
    if (this.closed) return Promise.reject(new HaproxyRuntimeError(this.socketPath, command, 'connection-closed', ''));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = undefined;
        reject(new HaproxyRuntimeError(this.socketPath, command, 'timeout', this.buffer.trim()));
        this.socket.destroy();
      }, this.timeoutMs);
      this.pending = { command, resolve, reject, timer };
      this.socket.write(`${command}\n`);
    });
  }

  /** Sends `command` and throws HaproxyRuntimeError unless haproxy answered with success. Returns the answer. */
  async execute(command: string): Promise<string> {
    const answer = await this.send(command);
    const problem = answerProblem(command, answer);
    if (problem) throw new HaproxyRuntimeError(this.socketPath, command, problem.refusal, problem.answer);
    return answer;
  }

  async showServersState(backend: string): Promise<RuntimeServer[]> {
    return parseServersState(await this.execute(`show servers state ${backend}`));
  }

  /**
   * Current and queued sessions per server of `backend`. All proxies' servers are listed and filtered here: `show stat
   * <name> …` looks the name up among frontends too, and the frontend is also called kube-apiserver.
   */
  async serverSessions(backend: string): Promise<Map<string, ServerSessions>> {
    return parseServerSessions(await this.execute('show stat -1 4 -1'), backend);
  }

  async close(): Promise<void> {
    if (!this.closed) {
      this.socket.end('quit\n');
      const timer = setTimeout(() => this.socket.destroy(), this.timeoutMs);
      await this.done;
      clearTimeout(timer);
    }
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    const waiting = this.pending;
    // Every answer ends with the prompt; haproxy never starts an output line with "> ".
    if (!waiting || !(this.buffer === '> ' || this.buffer.endsWith('\n> '))) return;
    const answer = this.buffer.slice(0, -2);
    this.buffer = '';
    this.pending = undefined;
    clearTimeout(waiting.timer);
    waiting.resolve(answer);
  }
}

/** The admin stats socket of one haproxy. */
export class HaproxyRuntime {
  constructor(
    readonly socketPath: string,
    private readonly options: RuntimeClientOptions = {},
  ) {}

  /** Non-interactive: one line, which may be a `;`-separated batch; haproxy's raw answer. */
  send(line: string): Promise<string> {
    return sendLine(this.socketPath, line, this.options.timeoutMs);
  }

  /** One command on its own connection, checked. */
  async execute(command: string): Promise<string> {
    assertOneLine(this.socketPath, command, false);
    const answer = await this.send(command);
    const problem = answerProblem(command, answer);
    if (problem) throw new HaproxyRuntimeError(this.socketPath, command, problem.refusal, problem.answer);
    return answer;
  }

  session(): Promise<RuntimeSession> {
    return RuntimeSession.open(this.socketPath, this.options);
  }

  async withSession<T>(fn: (session: RuntimeSession) => Promise<T>): Promise<T> {
    const session = await this.session();
    try {
      return await fn(session);
    } finally {
      await session.close();
    }
  }

  /** Runs `commands` in order in one session; the first refusal throws and the rest are not sent. */
  run(commands: readonly string[]): Promise<string[]> {
    return this.withSession(async (s) => {
      const answers: string[] = [];
      for (const command of commands) answers.push(await s.execute(command));
      return answers;
    });
  }

  async showServersState(backend: string): Promise<RuntimeServer[]> {
    return parseServersState(await this.execute(`show servers state ${backend}`));
  }

  async serverSessions(backend: string): Promise<Map<string, ServerSessions>> {
    return parseServerSessions(await this.execute('show stat -1 4 -1'), backend);
  }

  /** The answering worker's pid: changes when a reload's new worker has taken over the socket. */
  async workerPid(): Promise<number> {
    const pid = Number(parseShowInfo(await this.execute('show info')).get('Pid'));
    if (!Number.isInteger(pid) || pid <= 0) throw new HaproxyRuntimeError(this.socketPath, 'show info', 'unexpected-answer', 'no Pid');
    return pid;
  }
}

/** The master CLI of a master-worker haproxy (`-S <socket>`). */
export class HaproxyMasterCli {
  constructor(
    readonly socketPath: string,
    private readonly options: RuntimeClientOptions = {},
  ) {}

  async showProc(): Promise<ProcessList> {
    const answer = await sendLine(this.socketPath, 'show proc', this.options.timeoutMs);
    const problem = answerProblem('show proc', answer);
    if (problem) throw new HaproxyRuntimeError(this.socketPath, 'show proc', problem.refusal, problem.answer);
    return parseShowProc(answer);
  }

  /**
   * Asks the master to reload: it re-reads the file and forks a new worker, and the old one finishes its connections
   * (the same as SIGUSR2 to the master). haproxy 2.6 closes the connection without a word, so the outcome is judged
   * from `show proc` afterwards; 2.7 and later answer `Success=0|1`, which is honoured when present.
   */
  async reload(): Promise<void> {
    const answer = await sendLine(this.socketPath, 'reload', this.options.timeoutMs);
    if (/^Success=0/m.test(answer)) throw new HaproxyRuntimeError(this.socketPath, 'reload', 'unexpected-answer', answer.trim());
  }
}
