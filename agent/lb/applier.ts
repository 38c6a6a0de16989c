/**
 * Applies one backend set to the local haproxy: live through the runtime API, then to haproxy.cfg, then reports. The
 * sets come one at a time from the agent's mailbox (backend-mailbox.ts), which decides which set is next and retries.
 *
 * For a set:
 * 1. haproxy.cfg is rendered, and `haproxy -c` checks it once step 2 is done rather than before: the check costs
 *    50-250 ms (haproxy loads its shared libraries and, in 2.6, the system CA store), which alone would blow the
 *    20 ms budget for a change to reach haproxy, and even run alongside, its fork delays the runtime commands
 *    (test/bench/runtime-apply.ts on a loaded 2-core host: p90 34 ms alongside, 4 ms after). Each runtime command is validated by haproxy itself as it is
 *    applied, and nothing unchecked is ever written: the file, the version and the report all wait for the check;
 * 2. the runtime API converges haproxy to the set (core/lb/runtime-plan.ts), from what haproxy reports rather than
 *    from what was applied last. Servers that must go are put in maintenance, deleted once their sessions end, and
 *    after `drainTimeoutMs` their sessions are shut down and they are deleted anyway. A newer set (the `superseded`
 *    signal) ends the wait for a drain: the newer set takes over, and the drain clock keeps running across versions;
 * 3. haproxy.cfg is written atomically with the version in it, so a restart or reload comes up with the same set and
 *    a restarted agent knows what is live;
 * 4. `onApplied(version)`.
 *
 * When haproxy is not running (yet), its admin socket is missing and the file is what it will start from: the set is
 * checked, written and reported ('written'). When the runtime API cannot express the change (a command refused twice,
 * the socket unusable), the applier falls back to a hitless reload of the checked file (haproxy-api.ts).
 */
import { HAPROXY_CFG_PATH } from '../../core/host/paths.js';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Backend, BackendSet } from '../../core/backend-set.js';
import { CommandError, HaproxyRuntimeError, ReloadRejectedError, RuntimeOutputError, TimeoutError } from '../../core/errors.js';
import { readBackendSetVersion, withBackendSetVersion } from '../../core/lb/config-version.js';
import { planRuntimeChanges, retireCommands, type RuntimePlan } from '../../core/lb/runtime-plan.js';
import { HAPROXY_BACKEND } from '../../core/render/haproxy.js';
import type { Logger } from '../../lib/log.js';
import { tail, type HostOps } from '../hostops.js';
import { LocalHaproxy, type HaproxyApi, type HaproxySession } from './haproxy-api.js';

/**
 * - applied: live through the runtime API, then checked, written and reported;
 * - reloaded: the runtime API could not make the change; the checked file was written and haproxy reloaded from it;
 * - written: haproxy is not running; the checked file is what it will start from;
 * - stale: a newer set superseded this one while servers drained; nothing written or reported.
 */
export type ApplyOutcome = 'applied' | 'reloaded' | 'written' | 'stale';

export interface RuntimeAppliedEvent {
  readonly version: number;
  /** From `apply()` being called to haproxy running the set (servers added, activated, drained, deleted). */
  readonly elapsedMs: number;
  /** Runtime commands sent, the reads excluded. */
  readonly commands: number;
}

export interface BackendApplierOptions {
  readonly host: HostOps;
  /** The local haproxy; default {@link LocalHaproxy} on the sockets and pid file below. */
  readonly haproxy?: HaproxyApi;
  /** Host paths, like every path here: resolved under `host.root`. */
  readonly socketPath?: string;
  /** The master CLI (`haproxy -W -S <path>`), for the reload fallback; default the static pod's /run/haproxy/master.sock. */
  readonly masterSocketPath?: string;
  /** The master's pid file (`-p`), for SIGUSR2 when there is no master CLI. */
  readonly pidFile?: string;
  readonly configPath?: string;
  /** haproxy.cfg for a set, with `# backend-set-version`; core/render/haproxy.ts renderBackendSetConfig. */
  readonly render: (set: BackendSet) => string;
  /** The runtime `add server` line for a backend of `set`; core/render/haproxy.ts addServerCommand. */
  readonly addServerCommand: (backend: Backend, set: BackendSet) => string;
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
  /**
   * Brings haproxy to `set`, whatever version it has: which set comes next is the mailbox's decision. Resolves once
   * the set is on disk and reported, or 'stale' when `superseded` fired while servers drained. One call at a time.
   */
  apply(set: BackendSet, superseded?: AbortSignal): Promise<ApplyOutcome>;
  /** The version in haproxy.cfg: read back from the file at start, then each applied one. */
  appliedVersion(): number | undefined;
}

/** Reads the version haproxy.cfg holds, then returns an applier that continues from it. */
export async function createBackendApplier(options: BackendApplierOptions): Promise<BackendApplier> {
  const configPath = options.configPath ?? HAPROXY_CFG_PATH;
  const existing = await options.host.readFile(configPath);
  const applier = new Applier(options, existing === undefined ? undefined : readBackendSetVersion(existing));
  return { apply: (set, superseded) => applier.apply(set, superseded), appliedVersion: () => applier.applied };
}

interface Job {
  readonly set: BackendSet;
  readonly receivedAt: number;
  readonly superseded: AbortSignal | undefined;
}

const DEFAULT_CHECK_COMMAND = ['haproxy', '-c', '-f'] as const;
/** Consecutive rounds that ran commands without reaching the set; more means haproxy does not do what it answers. */
const MAX_ROUNDS_WITHOUT_PROGRESS = 5;
/** After a forced delete, how long haproxy may take to let go of the shut sessions. */
const FORCED_DELETE_GRACE_MS = 10_000;

class Applier {
  applied: number | undefined;
  /** When each server being retired must be deleted at the latest; kept across versions so a new one does not restart the clock. */
  private readonly retireDeadlines = new Map<string, number>();
  private checkSequence = 0;
  private readonly log: Logger;
  private readonly haproxy: HaproxyApi;
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
    this.haproxy =
      options.haproxy ??
      new LocalHaproxy({
        host: options.host,
        configPath: this.configPath,
        ...(options.socketPath !== undefined ? { socketPath: options.socketPath } : {}),
        ...(options.masterSocketPath !== undefined ? { masterSocketPath: options.masterSocketPath } : {}),
        ...(options.pidFile !== undefined ? { pidFile: options.pidFile } : {}),
        ...(options.runtimeTimeoutMs !== undefined ? { runtimeTimeoutMs: options.runtimeTimeoutMs } : {}),
        ...(options.reloadTimeoutMs !== undefined ? { reloadTimeoutMs: options.reloadTimeoutMs } : {}),
      });
  }

  async apply(set: BackendSet, superseded: AbortSignal | undefined): Promise<ApplyOutcome> {
    const job: Job = { set, receivedAt: performance.now(), superseded };
    const log = this.log.child({ version: set.version });
    // Rendered first: a set the renderer refuses never reaches haproxy.
    const content = withBackendSetVersion(this.options.render(set), set.version);

    if (!(await this.haproxy.running())) {
      await this.checkConfig(content, set.version, log);
      await this.persist(set, content, 'written', log);
      return 'written';
    }

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
        await this.haproxy.reload(log);
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
    await this.persist(set, content, outcome, log);
    return outcome;
  }

  private async persist(set: BackendSet, content: string, outcome: ApplyOutcome, log: Logger): Promise<void> {
    await this.writeConfig(content);
    await this.options.onApplied(set.version);
    this.applied = set.version;
    log.info({ outcome, backends: set.backends.map((b) => `${b.name}=${b.address}:${b.port}/${b.state}`) }, 'backend set applied');
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
        round = await this.haproxy.withSession((session) => this.round(session, job.set, log));
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
      if (job.superseded?.aborted) return 'superseded';
      const latest = Math.max(...round.draining.map((name) => this.retireDeadlines.get(name) ?? 0));
      if (Date.now() > latest + FORCED_DELETE_GRACE_MS) {
        throw new TimeoutError(`servers ${round.draining.join(', ')} are still attached ${FORCED_DELETE_GRACE_MS} ms after their sessions were shut down`);
      }
      await pause(this.options.drainPollMs ?? 200, job.superseded);
      if (job.superseded?.aborted) return 'superseded';
    }
  }

  private async round(session: HaproxySession, set: BackendSet, log: Logger): Promise<{ plan: RuntimePlan; draining: string[]; deleted: string[] }> {
    const live = await session.showServersState(this.backend);
    const plan = planRuntimeChanges(live, set, { addServerCommand: (backend) => this.options.addServerCommand(backend, set), backend: this.backend });
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
      if (!idle)
        log.warn({ server: name, sessions: counters?.current, drainTimeoutMs: this.options.drainTimeoutMs }, 'drain timeout: shutting down the sessions left');
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

  /** The check runs the file as the host sees it (under `host.root` in tests). */
  private real(path: string): string {
    return this.options.host.root === '/' ? path : join(this.options.host.root, path);
  }
}

function isRuntimeProblem(err: unknown): boolean {
  return err instanceof HaproxyRuntimeError || err instanceof RuntimeOutputError || err instanceof TimeoutError;
}

/** Sleeps `ms`, or less when `signal` fires. */
async function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  await sleep(ms, undefined, signal ? { signal } : {}).catch(() => undefined);
}
