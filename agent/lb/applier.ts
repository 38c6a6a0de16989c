/**
 * Applies backend-set versions to the local haproxy: live through the runtime API, then to haproxy.cfg, then reports.
 *
 * For each version, newest wins:
 * 1. versions not newer than the one applied are ignored ('stale'); a version arriving while an older one is queued
 *    replaces it, and one arriving while an older one waits for a server to drain interrupts that wait;
 * 2. haproxy.cfg is rendered, and `haproxy -c` checks it once step 3 is done rather than before: the check costs
 *    50-250 ms (haproxy loads its shared libraries and, in 2.6, the system CA store), which alone would blow the
 *    20 ms budget for a change to reach haproxy, and even run alongside, its fork delays the runtime commands
 *    (test/bench/runtime-apply.ts on a loaded 2-core host: p90 34 ms alongside, 4 ms after). Each runtime command is validated by haproxy itself as it is
 *    applied, and nothing unchecked is ever written: the file, the version and the report all wait for the check;
 * 3. the runtime API converges haproxy to the set (core/lb/runtime-plan.ts), from what haproxy reports rather than
 *    from what was applied last. Servers that must go are put in maintenance, deleted once their sessions end, and
 *    after `drainTimeoutMs` their sessions are shut down and they are deleted anyway;
 * 4. haproxy.cfg is written atomically with the version in it, so a restart or reload comes up with the same set and
 *    a restarted agent knows what is live;
 * 5. `onApplied(version)`.
 *
 * When the runtime API cannot express the change (a command refused twice, the socket unusable), the applier falls
 * back to a hitless reload: the checked file is written and the master-worker haproxy is asked to reload, through the
 * master CLI (`reload`, preferred: it works from outside a static pod's PID namespace and `show proc` then tells
 * whether the new worker started) or by SIGUSR2 to the master pid (what systemd's ExecReload does). Both work with
 * haproxy 2.6.12 (verified in applier.test.ts). The old worker finishes its connections; the result is verified
 * through the runtime API of the new worker.
 */
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isNewer, type Backend, type BackendSet } from '../../core/backend-set.js';
import { CommandError, KubeadmHaError, PreconditionError, TimeoutError } from '../../core/errors.js';
import { readBackendSetVersion, withBackendSetVersion } from '../../core/lb/config-version.js';
import { RuntimeOutputError } from '../../core/lb/runtime-output.js';
import { planRuntimeChanges, retireCommands, type RuntimePlan } from '../../core/lb/runtime-plan.js';
import { HAPROXY_ADMIN_SOCKET, HAPROXY_BACKEND, HAPROXY_CFG_PATH, HAPROXY_MASTER_SOCKET } from '../../core/render/haproxy.js';
import type { Logger } from '../../lib/log.js';
import { tail, type HostOps } from '../hostops.js';
import { HaproxyMasterCli, HaproxyRuntime, HaproxyRuntimeError, type RuntimeSession } from './haproxy-runtime.js';

export type ApplyOutcome = 'applied' | 'stale' | 'reloaded';

export interface RuntimeAppliedEvent {
  readonly version: number;
  /** From `apply()` being called to haproxy running the set (servers added, activated, drained, deleted). */
  readonly elapsedMs: number;
  /** Runtime commands sent, the reads excluded. */
  readonly commands: number;
}

export interface BackendApplierOptions {
  readonly host: HostOps;
  /** Host paths, like every path here: resolved under `host.root`. */
  readonly socketPath?: string;
  /** The master CLI (`haproxy -W -S <path>`), for the reload fallback; default the static pod's /run/haproxy/master.sock. */
  readonly masterSocketPath?: string;
  /** The master's pid file (`-p`), for SIGUSR2 when there is no master CLI. */
  readonly pidFile?: string;
  readonly configPath?: string;
  /** haproxy.cfg for a set; core/render/haproxy.ts renderHaproxyConfig with `backendSetVersion: set.version`. */
  readonly render: (set: BackendSet) => string;
  /** The runtime `add server` line for a backend; core/render/haproxy.ts addServerCommand. */
  readonly addServerCommand: (backend: Backend) => string;
  /** How long a removed server may keep sessions before they are shut down. */
  readonly drainTimeoutMs: number;
  readonly logger: Logger;
  /** Called once the version is live and on disk; a throw fails the apply, which the caller retries. */
  readonly onApplied: (version: number) => void | Promise<void>;
  /** Called when haproxy runs a set, before the check and the file; for latency measurements. */
  readonly onRuntimeApplied?: (event: RuntimeAppliedEvent) => void;
  /**
   * The check, given the file's path as its last argument; default `haproxy -c -f`. Where haproxy runs only in its
   * static pod, a command that runs the pod's image: the file to check sits next to haproxy.cfg, in the directory the
   * pod mounts, so the path is the same inside.
   */
  readonly checkCommand?: readonly [string, ...string[]];
  readonly backend?: string;
  /** How often a draining server's sessions are looked at. */
  readonly drainPollMs?: number;
  readonly runtimeTimeoutMs?: number;
  /** How long a reload may take until the new worker answers. */
  readonly reloadTimeoutMs?: number;
}

export interface BackendApplier {
  /** Resolves once `set` is live, on disk and reported, or at once when it is not newer than what is applied. */
  apply(set: BackendSet): Promise<ApplyOutcome>;
  /** The version live and in haproxy.cfg: read back from the file at start, then each applied one. */
  appliedVersion(): number | undefined;
}

/** Reads the version haproxy.cfg holds, then returns an applier that continues from it. */
export async function createBackendApplier(options: BackendApplierOptions): Promise<BackendApplier> {
  const configPath = options.configPath ?? HAPROXY_CFG_PATH;
  const existing = await options.host.readFile(configPath);
  const applier = new Applier(options, existing === undefined ? undefined : readBackendSetVersion(existing));
  return { apply: (set) => applier.apply(set), appliedVersion: () => applier.applied };
}

interface Job {
  readonly set: BackendSet;
  readonly receivedAt: number;
  readonly waiters: { resolve: (outcome: ApplyOutcome) => void; reject: (err: unknown) => void }[];
}

const DEFAULT_CHECK_COMMAND = ['haproxy', '-c', '-f'] as const;
/** Consecutive rounds that ran commands without reaching the set; more means haproxy does not do what it answers. */
const MAX_ROUNDS_WITHOUT_PROGRESS = 5;
/** After a forced delete, how long haproxy may take to let go of the shut sessions. */
const FORCED_DELETE_GRACE_MS = 10_000;

class Applier {
  applied: number | undefined;
  private pending: Job | undefined;
  private current: Job | undefined;
  private driving = false;
  private wake: (() => void) | undefined;
  /** When each server being retired must be deleted at the latest; kept across versions so a new one does not restart the clock. */
  private readonly retireDeadlines = new Map<string, number>();
  private checkSequence = 0;
  private readonly log: Logger;
  private readonly runtime: HaproxyRuntime;
  private readonly configPath: string;
  private readonly backend: string;

  constructor(
    private readonly options: BackendApplierOptions,
    persistedVersion: number | undefined,
  ) {
    this.applied = persistedVersion;
    this.log = options.logger.child({ component: 'lb-applier' });
    this.configPath = options.configPath ?? HAPROXY_CFG_PATH;
    this.backend = options.backend ?? HAPROXY_BACKEND;
    this.runtime = new HaproxyRuntime(this.real(options.socketPath ?? HAPROXY_ADMIN_SOCKET), { timeoutMs: options.runtimeTimeoutMs });
  }

  apply(set: BackendSet): Promise<ApplyOutcome> {
    const receivedAt = performance.now();
    if (!isNewer(set, this.applied)) return Promise.resolve('stale');
    const same = [this.current, this.pending].find((job) => job?.set.version === set.version);
    if (same) return this.join(same);
    const newest = Math.max(this.current?.set.version ?? -1, this.pending?.set.version ?? -1);
    if (set.version < newest) return Promise.resolve('stale');
    if (this.pending) for (const w of this.pending.waiters) w.resolve('stale');
    const job: Job = { set, receivedAt, waiters: [] };
    this.pending = job;
    const outcome = this.join(job);
    this.wake?.();
    void this.drive();
    return outcome;
  }

  private join(job: Job): Promise<ApplyOutcome> {
    return new Promise((resolve, reject) => job.waiters.push({ resolve, reject }));
  }

  private async drive(): Promise<void> {
    if (this.driving) return;
    this.driving = true;
    try {
      while (this.pending) {
        const job = this.pending;
        this.pending = undefined;
        this.current = job;
        try {
          const outcome = await this.converge(job);
          for (const w of job.waiters) w.resolve(outcome);
        } catch (err) {
          for (const w of job.waiters) w.reject(err);
        } finally {
          this.current = undefined;
        }
      }
    } finally {
      this.driving = false;
    }
  }

  private async converge(job: Job): Promise<ApplyOutcome> {
    const { set } = job;
    const log = this.log.child({ version: set.version });
    // Rendered first: a set the renderer refuses never reaches haproxy.
    const content = withBackendSetVersion(this.options.render(set), set.version);

    let outcome: ApplyOutcome = 'applied';
    let live: 'converged' | 'superseded';
    try {
      live = await this.reconcile(job, log);
    } catch (err) {
      if (!isRuntimeProblem(err)) throw err;
      log.warn({ err: (err as Error).message }, 'the runtime API cannot apply this change; reloading haproxy from the checked file');
      await this.checkConfig(content, set.version, log);
      const previous = await this.options.host.readFile(this.configPath);
      await this.writeConfig(content);
      try {
        await this.reload(log);
      } catch (reloadErr) {
        // haproxy refused the file and runs the previous one: the file must say so, or a restarted agent would take
        // this version as live. When haproxy is not running at all, the new file stays: it is what haproxy should start with.
        if (reloadErr instanceof ReloadRejectedError && previous !== undefined) await this.writeConfig(previous);
        throw reloadErr;
      }
      live = await this.reconcile(job, log);
      outcome = 'reloaded';
    }
    if (live === 'superseded') {
      log.info('superseded by a newer backend set while servers drained');
      return 'stale';
    }
    if (outcome === 'applied') await this.checkConfig(content, set.version, log);
    await this.writeConfig(content);
    await this.options.onApplied(set.version);
    this.applied = set.version;
    log.info({ outcome, backends: set.backends.map((b) => `${b.name}=${b.address}:${b.port}/${b.state}`) }, 'backend set applied');
    return outcome;
  }

  /**
   * Rounds of: read haproxy's servers, run the plan, delete the retired servers that drained (or whose time ran out).
   * Ends when haproxy runs the set, or when a newer set arrives while servers drain. A refusal gets one more round
   * (haproxy's state may have moved under the plan); a second one, or an unusable socket, throws.
   */
  private async reconcile(job: Job, log: Logger): Promise<'converged' | 'superseded'> {
    let refusals = 0;
    let roundsWithoutProgress = 0;
    let commands = 0;
    for (;;) {
      let round: { plan: RuntimePlan; draining: string[]; deleted: string[] };
      try {
        round = await this.runtime.withSession((session) => this.round(session, job.set, log));
      } catch (err) {
        if (err instanceof HaproxyRuntimeError && !err.unreachable && refusals === 0) {
          refusals++;
          log.warn({ command: err.command, answer: err.answer }, 'haproxy refused a runtime command; planning again from its state');
          continue;
        }
        throw err;
      }
      commands += round.plan.steps.length + round.deleted.length;
      const readded = round.deleted.some((name) => job.set.backends.some((b) => b.name === name));
      if (round.draining.length === 0 && !readded) {
        this.options.onRuntimeApplied?.({ version: job.set.version, elapsedMs: performance.now() - job.receivedAt, commands });
        return 'converged';
      }
      if (round.draining.length === 0) {
        // A server retired for its new address is added back in the next round.
        if (++roundsWithoutProgress > MAX_ROUNDS_WITHOUT_PROGRESS) throw new TimeoutError('haproxy does not reach the backend set through the runtime API');
        continue;
      }
      roundsWithoutProgress = 0;
      if (this.pending) return 'superseded';
      const latest = Math.max(...round.draining.map((name) => this.retireDeadlines.get(name) ?? 0));
      if (Date.now() > latest + FORCED_DELETE_GRACE_MS) {
        throw new TimeoutError(`servers ${round.draining.join(', ')} are still attached ${FORCED_DELETE_GRACE_MS} ms after their sessions were shut down`);
      }
      await this.pause(this.options.drainPollMs ?? 200);
      if (this.pending) return 'superseded';
    }
  }

  private async round(session: RuntimeSession, set: BackendSet, log: Logger): Promise<{ plan: RuntimePlan; draining: string[]; deleted: string[] }> {
    const live = await session.showServersState(this.backend);
    const plan = planRuntimeChanges(live, set, { addServerCommand: this.options.addServerCommand, backend: this.backend });
    for (const step of plan.steps) {
      await session.execute(step.command);
      log.debug({ command: step.command }, 'runtime API');
    }
    for (const name of [...this.retireDeadlines.keys()]) if (!plan.retire.includes(name)) this.retireDeadlines.delete(name);
    const draining: string[] = [];
    const deleted: string[] = [];
    if (plan.retire.length === 0) return { plan, draining, deleted };

    const sessions = await session.serverSessions(this.backend);
    const now = Date.now();
    for (const name of plan.retire) {
      let deadline = this.retireDeadlines.get(name);
      if (deadline === undefined) {
        deadline = now + this.options.drainTimeoutMs;
        this.retireDeadlines.set(name, deadline);
      }
      const counters = sessions.get(name);
      const idle = !counters || (counters.current === 0 && counters.queued === 0);
      if (!idle && now < deadline) {
        draining.push(name);
        continue;
      }
      if (!idle) log.warn({ server: name, sessions: counters?.current, drainTimeoutMs: this.options.drainTimeoutMs }, 'drain timeout: shutting down the sessions left');
      try {
        for (const command of retireCommands(name, { force: !idle, backend: this.backend })) await session.execute(command);
      } catch (err) {
        // Shut sessions take a moment to detach; the next round deletes it.
        if (err instanceof HaproxyRuntimeError && err.failure === 'has-connections') {
          draining.push(name);
          continue;
        }
        throw err;
      }
      this.retireDeadlines.delete(name);
      deleted.push(name);
      log.info({ server: name, forced: !idle }, 'server deleted');
    }
    return { plan, draining, deleted };
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  private async checkConfig(content: string, version: number, log: Logger): Promise<void> {
    const { host } = this.options;
    const [command, ...args] = this.options.checkCommand ?? DEFAULT_CHECK_COMMAND;
    const shown = [command, ...args, this.configPath].join(' ');
    // Next to the real file, so relative paths in it (none today) would resolve the same way.
    const temp = join(dirname(this.configPath), `.${basename(this.configPath)}.check-${version}-${++this.checkSequence}`);
    await host.writeFile(temp, content, 0o644);
    try {
      const result = await host.exec(command, [...args, this.real(temp)], { allowFailure: true, timeoutMs: 60_000 });
      if (result.exitCode !== 0) {
        throw new CommandError(`${shown} (as rendered for backend set version ${version})`, result.exitCode, tail(result.stderr || result.stdout));
      }
      if (/\[WARNING\]/.test(result.stderr)) log.warn({ warnings: tail(result.stderr) }, 'haproxy -c warns about the rendered haproxy.cfg');
    } finally {
      await host.remove(temp);
    }
  }

  private writeConfig(content: string): Promise<void> {
    return this.options.host.writeFile(this.configPath, content, 0o644);
  }

  /** Reloads the master-worker haproxy and waits until the new worker answers on the stats socket. */
  private async reload(log: Logger): Promise<void> {
    const { host } = this.options;
    const timeoutMs = this.options.reloadTimeoutMs ?? 15_000;
    const before = await this.runtime.workerPid().catch(() => undefined);

    const masterSocketPath = this.options.masterSocketPath ?? HAPROXY_MASTER_SOCKET;
    const master = new HaproxyMasterCli(this.real(masterSocketPath), { timeoutMs: this.options.runtimeTimeoutMs });
    const procs = await master.showProc().catch((err: Error) => {
      log.warn({ err: err.message }, 'the master CLI does not answer');
      return undefined;
    });
    if (procs) {
      await master.reload();
      // The 2.6 master re-executes itself to reload, so its socket is briefly gone.
      const after = await waitFor(timeoutMs, () => master.showProc().then((p) => (p.master.reloads > procs.master.reloads ? p : undefined), () => undefined));
      if (!after) throw new TimeoutError(`haproxy did not reload within ${timeoutMs} ms (master CLI ${masterSocketPath})`);
      if (after.master.failedReloads > procs.master.failedReloads) {
        throw new ReloadRejectedError(`haproxy failed to reload ${this.configPath}; the previous worker keeps running the previous configuration`);
      }
      const worker = after.workers[0]?.pid;
      await this.awaitWorker(timeoutMs, (pid) => (worker === undefined ? pid !== before : pid === worker));
      log.info({ via: 'master CLI', worker }, 'haproxy reloaded');
      return;
    }
    if (this.options.pidFile) {
      const text = await host.readFile(this.options.pidFile);
      const pid = Number(text?.trim().split('\n')[0]);
      if (!Number.isInteger(pid) || pid <= 1) throw new PreconditionError(`${this.options.pidFile} holds no haproxy master pid`);
      const alive = await host.exec('kill', ['-0', String(pid)], { allowFailure: true });
      if (alive.exitCode !== 0) throw new PreconditionError(`haproxy is not running: master pid ${pid} from ${this.options.pidFile} is gone`);
      await host.exec('kill', ['-USR2', String(pid)]);
      await this.awaitWorker(timeoutMs, (worker) => worker !== before);
      log.info({ via: 'SIGUSR2', master: pid }, 'haproxy reloaded');
      return;
    }
    throw new PreconditionError('cannot reload haproxy: its master CLI does not answer and no pid file is configured');
  }

  private async awaitWorker(timeoutMs: number, isNew: (pid: number) => boolean): Promise<void> {
    const ok = await waitFor(timeoutMs, () => this.runtime.workerPid().then((pid) => (isNew(pid) ? true : undefined), () => undefined));
    if (!ok) throw new TimeoutError(`the new haproxy worker did not answer on ${this.runtime.socketPath} within ${timeoutMs} ms`);
  }

  private real(path: string): string {
    return this.options.host.root === '/' ? path : join(this.options.host.root, path);
  }
}

/** The master reported the reload failed: the old worker runs on with the previous configuration. */
export class ReloadRejectedError extends KubeadmHaError {}

function isRuntimeProblem(err: unknown): boolean {
  return err instanceof HaproxyRuntimeError || err instanceof RuntimeOutputError || err instanceof TimeoutError;
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
