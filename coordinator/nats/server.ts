/**
 * The embedded NATS: a nats-server child process with JetStream file storage under the coordinator's
 * data directory, nkey users only, restarted with backoff when it dies, reloaded live when the set of
 * agent users changes. When the coordinator is pointed at an existing NATS, none of this runs and the
 * rest of the code only sees a `NatsEndpoint` ({ url, credentials }).
 */
import { access, chmod, constants, mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createUser } from '@nats-io/nkeys';
import { execa, type ResultPromise } from 'execa';
import { CommandError, KubeadmHaError, PreconditionError, TimeoutError } from '../../core/errors.js';
import type { Logger } from '../../lib/log.js';
import { nkeyCredentials, nkeyPublicKeyOf, type NatsClientTls, type NatsCredentials, type NatsEndpoint } from '../../lib/nats/credentials.js';
import { checkAgentUser, loadAgentUsers, saveAgentUsers, withAgentUser, withoutAgentUser, type AgentUser } from './agent-users.js';
import { renderNatsConfig, type NatsServerTls, type NatsUserEntry } from './config.js';
import { writeFileAtomic } from './files.js';
import { COORDINATOR_PERMISSIONS, agentPermissions } from './permissions.js';
import { pickFreePort } from './ports.js';

export type { AgentUser };

/** What the agent registry needs from whichever NATS the coordinator uses. */
export interface AgentUserDirectory {
  /**
   * Lets an agent in with read access to its cluster's backend set. Idempotent. Resolves once the
   * running server has reloaded the new config; existing connections are kept.
   */
  addAgentUser(nkeyPublicKey: string, agentName: string, cluster: string): Promise<void>;
  /**
   * Removes an agent, identified by its public key or by its name (optionally within one cluster).
   * The server closes that agent's connections on reload. Resolves false when no such agent was listed.
   */
  removeAgentUser(nkeyPublicKeyOrAgentName: string, cluster?: string): Promise<boolean>;
}

export interface LocalNats extends NatsEndpoint, AgentUserDirectory {
  readonly url: string;
  /** The coordinator's own user (full permissions); the same value as `coordinatorCredentials`. */
  readonly credentials: NatsCredentials;
  readonly coordinatorCredentials: NatsCredentials;
  readonly port: number;
  /** http://127.0.0.1:<port>, for /healthz and /varz. */
  readonly monitorUrl: string;
  readonly configPath: string;
  /** The pid of the running nats-server, undefined while it is down. */
  pid(): number | undefined;
  agentUsers(): readonly AgentUser[];
  /** Reloads the config from disk (SIGHUP), e.g. after its TLS certificate was reissued; connections are kept. */
  reload(): Promise<void>;
  /** Stops the server (SIGTERM, then SIGKILL after the grace period) and stops restarting it. */
  close(): Promise<void>;
}

export interface LocalNatsOptions {
  /** The coordinator's data directory; everything goes under `<dataDir>/nats` (mode 0700). */
  readonly dataDir: string;
  /** Listen address for clients. Agents on other hosts need a routable address here (and TLS). */
  readonly host?: string;
  /** 0 or absent: the port this data dir used before, else a free one; either way remembered in `nats/client-port`. */
  readonly port?: number;
  readonly monitorPort?: number;
  /** Names the server (`server_name`), e.g. the coordinator's deployment. */
  readonly clusterName: string;
  readonly logger: Logger;
  readonly tls?: NatsServerTls;
  /** What clients need to verify the server certificate, returned in the endpoint. */
  readonly clientTls?: NatsClientTls;
  readonly maxFileStore?: string;
  readonly maxMemoryStore?: string;
  readonly binary?: string;
  readonly startTimeoutMs?: number;
  readonly reloadTimeoutMs?: number;
  readonly stopGraceMs?: number;
  readonly restartBackoff?: { readonly initialMs: number; readonly maxMs: number };
}

/** Debian installs it in /usr/sbin, upstream tarballs usually in /usr/local/bin or /usr/bin. */
const BINARY_CANDIDATES = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'];
const LOG_TAIL_LINES = 30;
/** Under `<dataDir>/nats`: the client port, kept across restarts. */
export const PORT_FILE = 'client-port';
/** A server that ran this long before dying is restarted without the accumulated backoff. */
const STABLE_RUN_MS = 30_000;

export async function startLocalNats(opts: LocalNatsOptions): Promise<LocalNats> {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(opts.clusterName)) {
    throw new KubeadmHaError(`the NATS server name "${opts.clusterName}" may only hold letters, digits, "-" and "_"`);
  }
  const dir = join(opts.dataDir, 'nats');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // The JetStream files hold the spec, keepalived's auth_pass included: nobody else may read them.
  await chmod(dir, 0o700);
  const host = opts.host ?? '127.0.0.1';
  const port = await clientPort(join(dir, PORT_FILE), host, opts.port, opts.logger);
  const monitorPort = opts.monitorPort && opts.monitorPort > 0 ? opts.monitorPort : await pickFreePort('127.0.0.1');
  const coordinatorSeed = await loadOrCreateSeed(join(dir, 'coordinator.nk'));
  const supervisor = new NatsSupervisor({
    ...opts,
    dir,
    host,
    port,
    monitorPort,
    coordinatorSeed,
    users: await loadAgentUsers(join(dir, 'agent-users.json')),
  });
  await supervisor.start();
  return supervisor.handle();
}

interface SupervisorConfig extends LocalNatsOptions {
  readonly dir: string;
  readonly host: string;
  readonly port: number;
  readonly monitorPort: number;
  readonly coordinatorSeed: Uint8Array;
  readonly users: AgentUser[];
}

interface ExitStatus {
  readonly code: number | undefined;
  readonly signal: string | undefined;
  /** Set when the process could not be started at all (ENOENT, EACCES). */
  readonly spawnError?: string;
}

interface PendingChange {
  readonly change: (users: AgentUser[]) => { users: AgentUser[]; result: unknown };
  readonly resolve: (value: unknown) => void;
  readonly reject: (reason: unknown) => void;
}

interface RunningServer {
  readonly child: ResultPromise;
  readonly exited: Promise<ExitStatus>;
  readonly startedAt: number;
}

class NatsSupervisor {
  private readonly log: Logger;
  private readonly configPath: string;
  private readonly usersPath: string;
  private readonly pidFile: string;
  private readonly monitorUrl: string;
  private readonly credentials: NatsCredentials;
  private users: AgentUser[];
  private running: RunningServer | undefined;
  private binary: string | undefined;
  /** The config file holds users the running server has not loaded yet (a reload failed). */
  private reloadPending = false;
  private closing = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private restartAttempt = 0;
  private readonly pendingChanges: PendingChange[] = [];
  private applying: Promise<void> | undefined;
  private readonly logTail: string[] = [];
  private readonly lineListeners = new Set<(line: string) => void>();

  constructor(private readonly cfg: SupervisorConfig) {
    this.log = cfg.logger.child({ component: 'nats-server' });
    this.configPath = join(cfg.dir, 'nats-server.conf');
    this.usersPath = join(cfg.dir, 'agent-users.json');
    this.pidFile = join(cfg.dir, 'nats-server.pid');
    this.monitorUrl = `http://127.0.0.1:${cfg.monitorPort}`;
    this.credentials = nkeyCredentials(cfg.coordinatorSeed);
    this.users = cfg.users;
  }

  handle(): LocalNats {
    const clientHost = this.cfg.host === '0.0.0.0' ? '127.0.0.1' : this.cfg.host === '::' ? '::1' : this.cfg.host;
    const hostPart = clientHost.includes(':') ? `[${clientHost}]` : clientHost;
    const url = `${this.cfg.tls ? 'tls' : 'nats'}://${hostPart}:${this.cfg.port}`;
    return {
      url,
      credentials: this.credentials,
      coordinatorCredentials: this.credentials,
      ...(this.cfg.clientTls ? { tls: this.cfg.clientTls } : {}),
      port: this.cfg.port,
      monitorUrl: this.monitorUrl,
      configPath: this.configPath,
      pid: () => (this.running && this.running.child.exitCode === null ? this.running.child.pid : undefined),
      agentUsers: () => [...this.users],
      addAgentUser: (publicKey, agentName, cluster) => this.addAgentUser(publicKey, agentName, cluster),
      removeAgentUser: (publicKeyOrName, cluster) => this.removeAgentUser(publicKeyOrName, cluster),
      reload: () => {
        // Goes through the change queue, so it never races a user change; reloadPending makes the batch reload.
        this.reloadPending = true;
        return this.enqueue((users) => ({ users, result: undefined }));
      },
      close: () => this.close(),
    };
  }

  async start(): Promise<void> {
    await this.writeConfig();
    await this.stopStaleServer();
    await this.spawn();
  }

  private addAgentUser(publicKey: string, agentName: string, cluster: string): Promise<void> {
    return this.enqueue((users) => {
      const next = withAgentUser(users, checkAgentUser({ publicKey, agentName, cluster }));
      if (!sameUsers(next, users)) this.log.info({ agent: agentName, cluster }, 'allowing agent on NATS');
      return { users: next, result: undefined };
    });
  }

  private removeAgentUser(publicKeyOrName: string, cluster?: string): Promise<boolean> {
    return this.enqueue((users) => {
      const kept = withoutAgentUser(users, publicKeyOrName);
      const next = cluster === undefined ? kept : users.filter((u) => u.cluster !== cluster || kept.includes(u));
      const removed = next.length !== users.length;
      if (removed) this.log.info({ agent: publicKeyOrName, cluster }, 'removing agent from NATS');
      return { users: next, result: removed };
    });
  }

  /**
   * Changes queued while a reload runs are applied together with one config write and one reload,
   * so a fleet of workers auto-joining at once costs a handful of reloads, not one per host.
   */
  private enqueue<T>(change: (users: AgentUser[]) => { users: AgentUser[]; result: T }): Promise<T> {
    if (this.closing) return Promise.reject(new KubeadmHaError('the embedded NATS server is closed'));
    return new Promise<T>((resolve, reject) => {
      this.pendingChanges.push({ change, resolve: resolve as (value: unknown) => void, reject });
      this.kickChanges();
    });
  }

  private kickChanges(): void {
    if (this.applying) return;
    this.applying = (async () => {
      try {
        await this.applyChanges();
      } finally {
        this.applying = undefined;
        // A change queued between the last batch and this line would otherwise wait forever.
        if (this.pendingChanges.length > 0) this.kickChanges();
      }
    })();
  }

  private async applyChanges(): Promise<void> {
    while (this.pendingChanges.length > 0) {
      const batch = this.pendingChanges.splice(0);
      let users = this.users;
      const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
      for (const { change } of batch) {
        try {
          const r = change(users);
          users = r.users;
          outcomes.push({ ok: true, value: r.result });
        } catch (error) {
          outcomes.push({ ok: false, error });
        }
      }
      let failure: unknown;
      try {
        // A reload that failed earlier is retried even when this batch changes nothing.
        if (!sameUsers(users, this.users) || this.reloadPending) await this.commitUsers(users);
      } catch (err) {
        failure = err;
      }
      batch.forEach(({ resolve, reject }, i) => {
        const outcome = outcomes[i]!;
        if (!outcome.ok) reject(outcome.error);
        else if (failure !== undefined) reject(failure);
        else resolve(outcome.value);
      });
    }
  }

  /** Persist first: if the reload fails, the next start still has the right users. */
  private async commitUsers(next: AgentUser[]): Promise<void> {
    await saveAgentUsers(this.usersPath, next);
    this.users = next;
    this.reloadPending = true;
    await this.writeConfig();
    await this.reload();
    this.reloadPending = false;
  }

  private async writeConfig(): Promise<void> {
    const users: NatsUserEntry[] = [
      { nkey: nkeyPublicKeyOf(this.cfg.coordinatorSeed), comment: 'coordinator', permissions: COORDINATOR_PERMISSIONS },
      ...this.users.map((u) => ({
        nkey: u.publicKey,
        comment: `agent ${u.agentName} (cluster ${u.cluster})`,
        permissions: agentPermissions(u.publicKey, u.cluster),
      })),
    ];
    const text = renderNatsConfig({
      serverName: `kubeadm-ha-${this.cfg.clusterName}`,
      host: this.cfg.host,
      port: this.cfg.port,
      monitorPort: this.cfg.monitorPort,
      pidFile: this.pidFile,
      storeDir: this.cfg.dir,
      maxFileStore: this.cfg.maxFileStore,
      maxMemoryStore: this.cfg.maxMemoryStore,
      tls: this.cfg.tls,
      users,
    });
    await writeFileAtomic(this.configPath, text, 0o600);
  }

  /** SIGHUP and wait until /varz shows the new config load time; nats-server keeps connections across a reload. */
  private async reload(): Promise<void> {
    const running = this.running;
    if (!running || running.child.exitCode !== null || running.child.pid === undefined) {
      this.log.debug('nats-server is not running; the next start reads the new config');
      return;
    }
    const before = await this.configLoadTime();
    let failure: string | undefined;
    const listener = (line: string) => {
      if (line.includes('Failed to reload')) failure = line;
    };
    this.lineListeners.add(listener);
    try {
      running.child.kill('SIGHUP');
      const deadline = Date.now() + (this.cfg.reloadTimeoutMs ?? 10_000);
      for (;;) {
        if (failure) throw new KubeadmHaError(`nats-server rejected the new config: ${failure}`);
        const now = await this.configLoadTime().catch(() => undefined);
        if (now !== undefined && now !== before) return;
        if (running.child.exitCode !== null) return; // it died; the restart reads the new file
        if (Date.now() > deadline) throw new TimeoutError('nats-server did not reload its config in time');
        await sleep(20);
      }
    } finally {
      this.lineListeners.delete(listener);
    }
  }

  private async configLoadTime(): Promise<string> {
    const res = await fetch(`${this.monitorUrl}/varz`, { signal: AbortSignal.timeout(2000) });
    const body = (await res.json()) as { config_load_time?: string };
    return body.config_load_time ?? '';
  }

  private async spawn(): Promise<void> {
    this.binary ??= await findBinary(this.cfg.binary);
    const binary = this.binary;
    const child = execa(binary, ['-c', this.configPath], {
      stdin: 'ignore',
      stdout: 'ignore',
      stderr: 'pipe',
      buffer: false,
      reject: false,
      cleanup: true,
      forceKillAfterDelay: false,
    });
    const exited: Promise<ExitStatus> = child.then((r) => ({
      code: r.exitCode,
      signal: r.signal,
      ...(r.exitCode === undefined && r.signal === undefined && r.failed ? { spawnError: r.shortMessage } : {}),
    }));
    const running: RunningServer = { child, exited, startedAt: Date.now() };
    this.running = running;
    if (child.stderr) {
      createInterface({ input: child.stderr }).on('line', (line) => this.onLogLine(line));
    }
    void exited.then((how) => this.onExit(running, how));
    this.log.debug({ pid: child.pid, config: this.configPath }, 'nats-server started');
    try {
      await this.waitHealthy(running);
    } catch (err) {
      // Not ours to restart from onExit: whoever called spawn() decides what happens next.
      if (this.running === running) this.running = undefined;
      await this.kill(running);
      throw err;
    }
    if (this.closing) {
      await this.kill(running);
      return;
    }
    // A fresh server read the current file: nothing is waiting for a reload any more.
    this.reloadPending = false;
    this.log.info({ pid: child.pid, port: this.cfg.port }, 'nats-server ready');
  }

  private async waitHealthy(running: RunningServer): Promise<void> {
    const deadline = Date.now() + (this.cfg.startTimeoutMs ?? 15_000);
    let exitedEarly = false;
    void running.exited.then(() => (exitedEarly = true));
    for (;;) {
      if (exitedEarly) {
        const how = await running.exited;
        if (how.spawnError) throw new PreconditionError(`cannot start nats-server: ${how.spawnError}`);
        throw new CommandError(`${this.binary ?? 'nats-server'} -c ${this.configPath}`, how.code ?? null, this.logTail.slice(-8).join('\n'));
      }
      try {
        const res = await fetch(`${this.monitorUrl}/healthz`, { signal: AbortSignal.timeout(1000) });
        const body = (await res.json().catch(() => ({}))) as { status?: string };
        if (res.ok && body.status === 'ok') return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new TimeoutError(`nats-server was not healthy on ${this.monitorUrl} within the start timeout`);
      await sleep(25);
    }
  }

  private onLogLine(line: string): void {
    this.logTail.push(line);
    if (this.logTail.length > LOG_TAIL_LINES) this.logTail.shift();
    for (const listener of this.lineListeners) listener(line);
    const m = /^\[\d+\] (?:\S+ \S+ )?\[(\w+)\] (.*)$/.exec(line);
    const level = m?.[1];
    const msg = m?.[2] ?? line;
    // Debug for the chatter, as the server's own levels for what an operator must see.
    if (level === 'ERR' || level === 'FTL') this.log.error({ serverLog: msg }, 'nats-server');
    else if (level === 'WRN') this.log.warn({ serverLog: msg }, 'nats-server');
    else this.log.debug({ serverLog: msg }, 'nats-server');
  }

  private onExit(running: RunningServer, how: ExitStatus): void {
    if (this.running !== running || this.closing) return;
    this.running = undefined;
    if (Date.now() - running.startedAt > STABLE_RUN_MS) this.restartAttempt = 0;
    this.log.warn({ exitCode: how.code, signal: how.signal, spawnError: how.spawnError, lastLog: this.logTail.slice(-5) }, 'nats-server exited unexpectedly');
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    const backoff = this.cfg.restartBackoff ?? { initialMs: 250, maxMs: 30_000 };
    const delay = Math.min(backoff.maxMs, backoff.initialMs * 2 ** this.restartAttempt);
    this.restartAttempt++;
    this.log.info({ restartInMs: delay, attempt: this.restartAttempt }, 'restarting nats-server');
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.closing) return;
      this.spawn().catch((err: unknown) => {
        this.log.error({ err: (err as Error).message }, 'nats-server failed to restart');
        if (!this.closing) this.scheduleRestart();
      });
    }, delay);
  }

  private async kill(running: RunningServer): Promise<void> {
    if (running.child.exitCode !== null || running.child.signalCode !== null) {
      await running.exited;
      return;
    }
    running.child.kill('SIGTERM');
    const grace = this.cfg.stopGraceMs ?? 10_000;
    const stopped = await Promise.race([running.exited.then(() => true), sleep(grace).then(() => false)]);
    if (!stopped) {
      this.log.warn({ pid: running.child.pid, graceMs: grace }, 'nats-server ignored SIGTERM; killing it');
      running.child.kill('SIGKILL');
      await running.exited;
    }
  }

  private async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    while (this.applying) await this.applying;
    const running = this.running;
    this.running = undefined;
    if (running) await this.kill(running);
    this.log.debug('nats-server stopped');
  }

  /**
   * A coordinator killed with SIGKILL leaves its nats-server running on our port and our JetStream
   * directory; two servers on one store corrupt it. Stop the one the pid file names, but only when it
   * really is a nats-server started with our config file.
   */
  private async stopStaleServer(): Promise<void> {
    let pid: number;
    try {
      pid = Number.parseInt((await readFile(this.pidFile, 'utf8')).trim(), 10);
    } catch {
      return;
    }
    if (!Number.isInteger(pid) || pid <= 1) return;
    let cmdline: string;
    try {
      cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').join(' ');
    } catch {
      return;
    }
    if (!cmdline.includes('nats-server') || !cmdline.includes(this.configPath)) return;
    this.log.warn({ pid }, 'stopping a nats-server left behind by a previous coordinator');
    signal(pid, 'SIGTERM');
    const deadline = Date.now() + (this.cfg.stopGraceMs ?? 10_000);
    while (alive(pid) && Date.now() < deadline) await sleep(25);
    if (alive(pid)) {
      signal(pid, 'SIGKILL');
      const killDeadline = Date.now() + 5000;
      while (alive(pid) && Date.now() < killDeadline) await sleep(25);
    }
  }
}

/**
 * The client port: the one asked for, else the one this data dir used before, else a free one, and then remembered.
 * Agents dial the URL they were given; a server that came back on another port would leave every load balancer
 * following nothing (they are also told the current URL at each session start, but only once they reconnect).
 */
async function clientPort(path: string, host: string, requested: number | undefined, logger: Logger): Promise<number> {
  const stored = Number.parseInt((await readFile(path, 'utf8').catch(() => '')).trim(), 10);
  const remembered = Number.isInteger(stored) && stored > 0 && stored <= 65535 ? stored : undefined;
  const port = requested && requested > 0 ? requested : (remembered ?? (await pickFreePort(host)));
  if (remembered !== undefined && remembered !== port)
    logger.warn({ was: remembered, now: port }, 'the NATS client port changes; agents are moved at their next session');
  if (port !== remembered) await writeFileAtomic(path, `${port}\n`, 0o600);
  return port;
}

async function findBinary(configured: string | undefined): Promise<string> {
  if (configured) return configured;
  for (const candidate of BINARY_CANDIDATES) {
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  return 'nats-server';
}

async function loadOrCreateSeed(path: string): Promise<Uint8Array> {
  try {
    const info = await stat(path);
    if ((info.mode & 0o077) !== 0) await chmod(path, 0o600);
    const seed = new Uint8Array(await readFile(path));
    const trimmed = new TextEncoder().encode(new TextDecoder().decode(seed).trim());
    nkeyPublicKeyOf(trimmed);
    return trimmed;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const seed = createUser().getSeed();
  await writeFileAtomic(path, seed, 0o600);
  return seed;
}

function sameUsers(a: readonly AgentUser[], b: readonly AgentUser[]): boolean {
  const key = (u: AgentUser) => `${u.publicKey}/${u.agentName}/${u.cluster}`;
  const setA = new Set(a.map(key));
  return a.length === b.length && b.every((u) => setA.has(key(u)));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
