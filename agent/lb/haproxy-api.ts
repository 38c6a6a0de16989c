/**
 * What the backend applier needs from the local haproxy, and nothing else: whether it runs, its runtime API (read the
 * servers and their sessions; add, enable, set state, shut sessions, delete) one session at a time, and a hitless
 * reload for the changes the runtime API cannot make. {@link LocalHaproxy} is the real one, over haproxy's admin socket
 * and master CLI (agent/lb/haproxy-runtime.ts); a test can stand in for it.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PreconditionError, ReloadRejectedError, TimeoutError } from '../../core/errors.js';
import type { RuntimeServer, ServerSessions } from '../../core/lb/runtime-output.js';
import { HAPROXY_ADMIN_SOCKET, HAPROXY_MASTER_SOCKET } from '../../core/render/haproxy.js';
import type { Logger } from '../../lib/log.js';
import type { HostOps } from '../hostops.js';
import { HaproxyMasterCli, HaproxyRuntime } from './haproxy-runtime.js';

/** One interactive runtime-API session: every command answered in order (agent/lb/haproxy-runtime.ts RuntimeSession). */
export interface HaproxySession {
  showServersState(backend: string): Promise<RuntimeServer[]>;
  /** Current and queued sessions per server of `backend`. */
  serverSessions(backend: string): Promise<Map<string, ServerSessions>>;
  /**
   * One command of a runtime plan or a retirement (`add server`, `enable health`, `enable server`, `set server … state`,
   * `shutdown sessions server`, `del server`); HaproxyRuntimeError when haproxy refuses it.
   */
  execute(command: string): Promise<string>;
}

export interface HaproxyApi {
  /** Whether haproxy's admin socket is there; without it haproxy has not started yet and only its file can take a set. */
  running(): Promise<boolean>;
  /** Runs `fn` in one session; HaproxyRuntimeError (unreachable) when the socket cannot be used. */
  withSession<T>(fn: (session: HaproxySession) => Promise<T>): Promise<T>;
  /** Reloads haproxy from its file and waits until the new worker answers; ReloadRejectedError when the old one stays. */
  reload(log: Logger): Promise<void>;
}

export interface LocalHaproxyOptions {
  readonly host: HostOps;
  /** Host paths, like every path here: resolved under `host.root`. Default the static pod's /run/haproxy/admin.sock. */
  readonly socketPath?: string;
  /** The master CLI (`haproxy -W -S <path>`), for the reload; default the static pod's /run/haproxy/master.sock. */
  readonly masterSocketPath?: string;
  /** The master's pid file (`-p`), for SIGUSR2 when there is no master CLI. */
  readonly pidFile?: string;
  /** The file haproxy was started from, named in errors. */
  readonly configPath: string;
  readonly runtimeTimeoutMs?: number;
  /** How long a reload may take until the new worker answers. */
  readonly reloadTimeoutMs?: number;
}

/**
 * The local haproxy. The reload goes through the master CLI (`reload`, preferred: it works from outside a static pod's
 * PID namespace and `show proc` then tells whether the new worker started) or by SIGUSR2 to the master pid (what
 * systemd's ExecReload does). Both work with haproxy 2.6.12 (verified in applier.test.ts). The old worker finishes its
 * connections; the new one is awaited on the admin socket.
 */
export class LocalHaproxy implements HaproxyApi {
  private readonly runtime: HaproxyRuntime;
  private readonly socketPath: string;
  private readonly masterSocketPath: string;

  constructor(private readonly options: LocalHaproxyOptions) {
    this.socketPath = options.socketPath ?? HAPROXY_ADMIN_SOCKET;
    this.masterSocketPath = options.masterSocketPath ?? HAPROXY_MASTER_SOCKET;
    this.runtime = new HaproxyRuntime(this.real(this.socketPath), { timeoutMs: options.runtimeTimeoutMs });
  }

  running(): Promise<boolean> {
    return this.options.host.exists(this.socketPath);
  }

  withSession<T>(fn: (session: HaproxySession) => Promise<T>): Promise<T> {
    return this.runtime.withSession(fn);
  }

  async reload(log: Logger): Promise<void> {
    const { host } = this.options;
    const timeoutMs = this.options.reloadTimeoutMs ?? 15_000;
    const before = await this.runtime.workerPid().catch(() => undefined);

    const master = new HaproxyMasterCli(this.real(this.masterSocketPath), { timeoutMs: this.options.runtimeTimeoutMs });
    const procs = await master.showProc().catch((err: Error) => {
      log.warn({ err: err.message }, 'the master CLI does not answer');
      return undefined;
    });
    if (procs) {
      await master.reload();
      // The 2.6 master re-executes itself to reload, so its socket is briefly gone.
      const after = await waitFor(timeoutMs, () =>
        master.showProc().then(
          (p) => (p.master.reloads > procs.master.reloads ? p : undefined),
          () => undefined,
        ),
      );
      if (!after) throw new TimeoutError(`haproxy did not reload within ${timeoutMs} ms (master CLI ${this.masterSocketPath})`);
      if (after.master.failedReloads > procs.master.failedReloads) {
        throw new ReloadRejectedError(`haproxy failed to reload ${this.options.configPath}; the previous worker keeps running the previous configuration`);
      }
      const worker = after.workers[0]?.pid;
      await this.awaitWorker(timeoutMs, (pid) => (worker === undefined ? pid !== before : pid === worker));
      log.info({ via: 'master CLI', worker }, 'haproxy reloaded');
      return;
    }
    const { pidFile } = this.options;
    if (pidFile) {
      const text = await host.readFile(pidFile);
      const pid = Number(text?.trim().split('\n')[0]);
      if (!Number.isInteger(pid) || pid <= 1) throw new PreconditionError(`${pidFile} holds no haproxy master pid`);
      const alive = await host.exec('kill', ['-0', String(pid)], { allowFailure: true });
      if (alive.exitCode !== 0) throw new PreconditionError(`haproxy is not running: master pid ${pid} from ${pidFile} is gone`);
      await host.exec('kill', ['-USR2', String(pid)]);
      await this.awaitWorker(timeoutMs, (worker) => worker !== before);
      log.info({ via: 'SIGUSR2', master: pid }, 'haproxy reloaded');
      return;
    }
    throw new PreconditionError('cannot reload haproxy: its master CLI does not answer and no pid file is configured');
  }

  private async awaitWorker(timeoutMs: number, isNew: (pid: number) => boolean): Promise<void> {
    const ok = await waitFor(timeoutMs, () =>
      this.runtime.workerPid().then(
        (pid) => (isNew(pid) ? true : undefined),
        () => undefined,
      ),
    );
    if (!ok) throw new TimeoutError(`the new haproxy worker did not answer on ${this.runtime.socketPath} within ${timeoutMs} ms`);
  }

  private real(path: string): string {
    return this.options.host.root === '/' ? path : join(this.options.host.root, path);
  }
}

async function waitFor<T>(timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T | undefined> {
  const until = Date.now() + timeoutMs;
  for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() >= until) return undefined;
    await sleep(delay);
  }
}
