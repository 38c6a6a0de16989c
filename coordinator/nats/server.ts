/**
 * The embedded NATS: a nats-server child process with JetStream file storage under the coordinator's
 * data directory, decentralised (JWT) auth (auth.ts), restarted with backoff when it dies, reloaded live
 * when an agent is revoked. Registering an agent changes nothing on the server: its user JWT is a
 * signature. When the coordinator is pointed at an existing NATS, none of this runs and the rest of the
 * code only sees a `NatsEndpoint` ({ url, credentials }).
 */
import { access, chmod, constants, mkdir, readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createUser } from '@nats-io/nkeys';
import { execa, type ResultPromise } from 'execa';
import { CommandError, KubeadmHaError, PreconditionError, TimeoutError } from '../../core/errors.js';
import type { Logger } from '../../lib/log.js';
import { fmtCreds } from '@nats-io/jwt';
import { fromSeed } from '@nats-io/nkeys';
import { nkeyPublicKeyOf, type NatsClientTls, type NatsCredentials, type NatsEndpoint } from '../../lib/nats/credentials.js';
import {
  REVOCATIONS_FILE,
  issueAgentJwtAfterRevocation,
  issueCoordinatorJwt,
  issuedAt,
  loadOrCreateAuthKeys,
  loadRevocations,
  saveRevocations,
  pushAccountJwt,
  serverTrust,
  type NatsAuthKeys,
  type Revocations,
  type ServerTrust,
} from './auth.js';
import { renderNatsConfig, type NatsServerTls } from './config.js';
import { writeFileAtomic } from './files.js';
import { COORDINATOR_PERMISSIONS } from './permissions.js';
import { pickFreePort } from './ports.js';

/** What the agent registry needs from whichever NATS the coordinator uses. */
export interface AgentUserDirectory {
  /**
   * A user JWT for the agent's nkey with read access to its cluster's backend set (permissions.ts), issued after
   * any revocation of that key. Changes nothing on the server; the agent connects with it and its own seed.
   */
  issueAgentJwt(nkeyPublicKey: string, agentName: string, cluster: string): Promise<string>;
  /**
   * Revokes every user JWT issued so far for the key. Resolves once the running server has loaded the new account
   * JWT, which closes that key's connections.
   */
  revokeAgentKey(nkeyPublicKey: string): Promise<void>;
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
  /** Revoked user keys and the second of their revocation. */
  revocations(): Revocations;
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
/** Under `<dataDir>/nats`: the coordinator's user JWT and seed, as `nats --creds` reads them. */
export const COORDINATOR_CREDS_FILE = 'coordinator.creds';
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
  const keys = await loadOrCreateAuthKeys(dir);
  const coordinatorJwt = await issueCoordinatorJwt(keys, nkeyPublicKeyOf(coordinatorSeed), COORDINATOR_PERMISSIONS);
  const coordinatorCreds = fmtCreds(coordinatorJwt, fromSeed(coordinatorSeed));
  // For an operator's `nats --creds` (and the tests): the coordinator's own login, root-only like the rest of the dir.
  await writeFileAtomic(join(dir, COORDINATOR_CREDS_FILE), coordinatorCreds, 0o600);
  const supervisor = new NatsSupervisor({
    ...opts,
    dir,
    host,
    port,
    monitorPort,
    keys,
    coordinatorCreds,
    coordinatorIssuedAt: issuedAt(coordinatorJwt),
    revocations: await loadRevocations(join(dir, REVOCATIONS_FILE)),
  });
  await supervisor.start();
  return supervisor.handle();
}

interface SupervisorConfig extends LocalNatsOptions {
  readonly dir: string;
  readonly host: string;
  readonly port: number;
  readonly monitorPort: number;
  readonly keys: NatsAuthKeys;
  /** The coordinator's user JWT and seed, as a creds file holds them. */
  readonly coordinatorCreds: Uint8Array;
  /** Its issue second: the coordinator's account refuses every user JWT it signed before (auth.ts serverTrust). */
  readonly coordinatorIssuedAt: number;
  readonly revocations: Revocations;
}

interface ExitStatus {
  readonly code: number | undefined;
  readonly signal: string | undefined;
  /** Set when the process could not be started at all (ENOENT, EACCES). */
  readonly spawnError?: string;
}

interface PendingChange {
  readonly change: (revocations: Revocations) => { revocations: Revocations; result: unknown };
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
  private readonly revocationsPath: string;
  private readonly pidFile: string;
  private readonly monitorUrl: string;
  private readonly credentials: NatsCredentials;
  private revoked: Revocations;
  /** What the config carries, issued again only when the revocations change (a stable file reloads without churn). */
  private trust: ServerTrust | undefined;
  /** The running server has not been sent the current account JWT yet (a push failed, or it was down). */
  private claimsPending = false;
  private readonly url: string;
  private running: RunningServer | undefined;
  private binary: string | undefined;
  /** The config file holds revocations the running server has not loaded yet (a reload failed). */
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
    this.revocationsPath = join(cfg.dir, REVOCATIONS_FILE);
    this.pidFile = join(cfg.dir, 'nats-server.pid');
    this.monitorUrl = `http://127.0.0.1:${cfg.monitorPort}`;
    this.credentials = { kind: 'creds', creds: cfg.coordinatorCreds };
    this.revoked = cfg.revocations;
    const clientHost = cfg.host === '0.0.0.0' ? '127.0.0.1' : cfg.host === '::' ? '::1' : cfg.host;
    const hostPart = clientHost.includes(':') ? `[${clientHost}]` : clientHost;
    this.url = `${cfg.tls ? 'tls' : 'nats'}://${hostPart}:${cfg.port}`;
  }

  handle(): LocalNats {
    return {
      url: this.url,
      credentials: this.credentials,
      coordinatorCredentials: this.credentials,
      ...(this.cfg.clientTls ? { tls: this.cfg.clientTls } : {}),
      port: this.cfg.port,
      monitorUrl: this.monitorUrl,
      configPath: this.configPath,
      pid: () => (this.running && this.running.child.exitCode === null ? this.running.child.pid : undefined),
      revocations: () => ({ ...this.revoked }),
      issueAgentJwt: (publicKey, agentName, cluster) => this.issueAgentJwt(publicKey, agentName, cluster),
      revokeAgentKey: (publicKey) => this.revokeAgentKey(publicKey),
      reload: () => {
        // Goes through the change queue, so it never races a revocation; reloadPending makes the batch reload.
        this.reloadPending = true;
        return this.enqueue((revocations) => ({ revocations, result: undefined }));
      },
      close: () => this.close(),
    };
  }

  async start(): Promise<void> {
    await this.writeConfig();
    await this.stopStaleServer();
    // After the stale server is gone: one left by a crashed coordinator from before JWT auth still writes to `$G`.
    await moveGlobalAccountStore(this.cfg.dir, this.cfg.keys.account.getPublicKey(), this.cfg.logger);
    await this.spawn();
  }

  /**
   * Signed here, nothing sent to the server. A key revoked in this very second would have its new JWT refused (the
   * server refuses JWTs issued at or before the revocation's second), so that rare case waits for the next second.
   */
  private issueAgentJwt(publicKey: string, agentName: string, cluster: string): Promise<string> {
    return issueAgentJwtAfterRevocation(this.cfg.keys, this.revoked, publicKey, agentName, cluster);
  }

  private revokeAgentKey(publicKey: string): Promise<void> {
    if (!/^U[A-Z2-7]{55}$/.test(publicKey)) return Promise.reject(new KubeadmHaError('not an nkey user public key'));
    return this.enqueue((revocations) => {
      this.log.info({ nkey: publicKey }, 'revoking an agent NATS key');
      return { revocations: { ...revocations, [publicKey]: Math.floor(Date.now() / 1000) }, result: undefined };
    });
  }

  /**
   * Revocations queued while a reload runs are applied together with one config write and one reload,
   * so removing many nodes at once costs a handful of reloads, not one per host.
   */
  private enqueue<T>(change: (revocations: Revocations) => { revocations: Revocations; result: T }): Promise<T> {
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
      let revocations = this.revoked;
      const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
      for (const { change } of batch) {
        try {
          const r = change(revocations);
          revocations = r.revocations;
          outcomes.push({ ok: true, value: r.result });
        } catch (error) {
          outcomes.push({ ok: false, error });
        }
      }
      let failure: unknown;
      try {
        // A reload that failed earlier is retried even when this batch changes nothing.
        if (revocations !== this.revoked || this.reloadPending || this.claimsPending) await this.commit(revocations);
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

  /**
   * Persist first: if the push fails, the next start (or the next change, which retries) still refuses the revoked
   * keys. A revocation is pushed as a new account JWT, applied in place: only the revoked keys' connections close.
   */
  private async commit(next: Revocations): Promise<void> {
    if (next !== this.revoked) {
      await saveRevocations(this.revocationsPath, next);
      this.revoked = next;
      this.trust = undefined;
      this.claimsPending = true;
    }
    await this.writeConfig();
    if (this.reloadPending) {
      await this.reload();
      this.reloadPending = false;
    }
    if (this.claimsPending) {
      await this.pushAccountClaims();
      this.claimsPending = false;
    }
  }

  /** The agents' account JWT with the current revocations, pushed to the running server (auth.ts pushAccountJwt). */
  private async pushAccountClaims(): Promise<void> {
    const running = this.running;
    if (!running || running.child.exitCode !== null) return; // the next start preloads it
    const trust = await this.currentTrust();
    await pushAccountJwt(
      { url: this.url, ...(this.cfg.clientTls ? { tls: this.cfg.clientTls } : {}) },
      this.cfg.keys,
      trust.accountJwt,
      this.log,
      this.cfg.reloadTimeoutMs ?? 10_000,
    );
  }

  private async currentTrust(): Promise<ServerTrust> {
    this.trust ??= await serverTrust(this.cfg.keys, this.revoked, join(this.cfg.dir, 'accounts'), this.cfg.coordinatorIssuedAt);
    return this.trust;
  }

  private async writeConfig(): Promise<void> {
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
      trust: await this.currentTrust(),
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
    // A fresh server read the current file: nothing is waiting for a reload or an account push any more.
    this.reloadPending = false;
    this.claimsPending = false;
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

/**
 * A data dir from before JWT auth keeps its JetStream streams under the global account (`jetstream/$G`); the server
 * now looks for them under the application account's key. Moved once, so the spec, the records and the backend sets
 * survive the upgrade.
 */
async function moveGlobalAccountStore(dir: string, account: string, logger: Logger): Promise<void> {
  const from = join(dir, 'jetstream', '$G');
  const to = join(dir, 'jetstream', account);
  if (!(await exists(from)) || (await exists(to))) return;
  await rename(from, to);
  logger.info({ from, to }, 'moved the JetStream store to the account of JWT auth');
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
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
