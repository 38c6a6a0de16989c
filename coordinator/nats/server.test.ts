import { execFileSync, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { encodeUser } from '@nats-io/jwt';
import { createUser, fromPublic } from '@nats-io/nkeys';
import { errors, type NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../lib/log.js';
import { connectNats } from '../../lib/nats/connect.js';
import { nkeyCredentials, type NatsCredentials } from '../../lib/nats/credentials.js';
import { AGENT_MAX_SUBSCRIPTIONS, loadOrCreateAuthKeys } from './auth.js';
import { agentPermissions } from './permissions.js';
import { startLocalNats, type LocalNats } from './server.js';

/** Who signed a JWT: its `iss`. */
function jwtIssuer(jwt: string): string {
  return (JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as { iss: string }).iss;
}

const dirs: string[] = [];
const servers: LocalNats[] = [];
const connections: NatsConnection[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kha-nats-'));
  dirs.push(dir);
  return dir;
}

async function start(dataDir: string, extra: Partial<Parameters<typeof startLocalNats>[0]> = {}): Promise<LocalNats> {
  const nats = await startLocalNats({
    dataDir,
    clusterName: 'test',
    logger: silentLogger,
    stopGraceMs: 3000,
    restartBackoff: { initialMs: 50, maxMs: 500 },
    ...extra,
  });
  servers.push(nats);
  return nats;
}

/** The coordinator's own login: its creds (user JWT and seed). */
function coordinatorCreds(nats: LocalNats): NatsCredentials {
  return nats.credentials;
}

/** An agent's login: its seed and the user JWT issued for it; without a JWT, the bare nkey (which JWT auth refuses). */
async function connectAs(url: string, login: NatsCredentials | { seed: Uint8Array; jwt?: string }, inboxPrefix?: string): Promise<NatsConnection> {
  const credentials: NatsCredentials =
    'kind' in login ? login : login.jwt ? { kind: 'jwt', jwt: () => login.jwt!, seed: login.seed } : nkeyCredentials(login.seed);
  const nc = await connectNats({ url, credentials }, { name: 'test', logger: silentLogger, inboxPrefix, reconnectTimeWaitMs: 100, reconnectJitterMs: 50 });
  connections.push(nc);
  return nc;
}

function agentKey() {
  const kp = createUser();
  return { publicKey: kp.getPublicKey(), seed: kp.getSeed() };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
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

afterEach(async () => {
  for (const nc of connections.splice(0)) await nc.close().catch(() => undefined);
});

afterAll(async () => {
  for (const s of servers.splice(0)) await s.close().catch(() => undefined);
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('startLocalNats', () => {
  let dataDir: string;
  let nats: LocalNats;

  beforeAll(async () => {
    dataDir = await tempDir();
    nats = await start(dataDir);
  });

  it('runs nats-server on a picked loopback port with a private config and JetStream under the data dir', async () => {
    expect(nats.url).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);
    expect(nats.port).toBeGreaterThan(0);
    expect(nats.credentials).toBe(nats.coordinatorCredentials);
    expect((await stat(nats.configPath)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dataDir, 'nats'))).mode & 0o777).toBe(0o700);
    for (const seedFile of ['coordinator.nk', 'operator.nk', 'account.nk', 'agents-account.nk', 'system-account.nk'])
      expect((await stat(join(dataDir, 'nats', seedFile))).mode & 0o777, seedFile).toBe(0o600);
    const config = await readFile(nats.configPath, 'utf8');
    expect(config).toContain(`port: ${nats.port}`);
    expect(config).toMatch(/http: "127\.0\.0\.1:\d+"/);
    // Only JWTs and public keys are in the config, never a seed.
    expect(config).not.toMatch(/\bS[OAU][A-Z2-7]{50,}/);
    for (const seedFile of ['coordinator.nk', 'operator.nk', 'account.nk', 'agents-account.nk', 'system-account.nk'])
      expect(config).not.toContain((await readFile(join(dataDir, 'nats', seedFile), 'utf8')).trim());

    const nc = await connectAs(nats.url, coordinatorCreds(nats));
    const kv = await new Kvm(nc).create('probe', { history: 1 });
    await kv.put('k', 'v');
    expect((await kv.get('k'))?.string()).toBe('v');
    expect((await stat(join(dataDir, 'nats', 'jetstream'))).isDirectory()).toBe(true);
    const health = (await (await fetch(`${nats.monitorUrl}/healthz`)).json()) as { status: string };
    expect(health.status).toBe('ok');
  });

  it('refuses a bare key and a JWT presented with another seed, and lets an agent in with the JWT issued for its key', async () => {
    const agent = agentKey();
    await expect(connectAs(nats.url, { seed: agent.seed })).rejects.toBeInstanceOf(errors.AuthorizationError);
    const jwt = await nats.issueAgentJwt(agent.publicKey, 'master-1', 'prod');
    // Someone who copied the JWT but not the seed gets nowhere: the server checks the nonce signature against its key.
    await expect(connectAs(nats.url, { seed: agentKey().seed, jwt })).rejects.toBeInstanceOf(errors.AuthorizationError);
    const nc = await connectAs(nats.url, { seed: agent.seed, jwt }, `_INBOX_${agent.publicKey}`);
    expect(nc.isClosed()).toBe(false);
  });

  it('lets agents in without touching the server: no config write, no reload, connections and subscriptions untouched', async () => {
    const nc = await connectAs(nats.url, coordinatorCreds(nats));
    const events: string[] = [];
    void (async () => {
      for await (const s of nc.status()) events.push(s.type);
    })();
    const received: string[] = [];
    const sub = nc.subscribe('probe.reload', { callback: (_err, msg) => void received.push(msg.string()) });
    const publisher = await connectAs(nats.url, coordinatorCreds(nats));
    publisher.publish('probe.reload', 'before');
    await publisher.flush();
    await waitFor('first message', () => received.length === 1);
    const configBefore = await readFile(nats.configPath, 'utf8');
    const loadBefore = ((await (await fetch(`${nats.monitorUrl}/varz`)).json()) as { config_load_time: string }).config_load_time;

    for (let i = 0; i < 3; i++) {
      const agent = agentKey();
      const jwt = await nats.issueAgentJwt(agent.publicKey, `worker-${i}`, 'prod');
      expect((await connectAs(nats.url, { seed: agent.seed, jwt }, `_INBOX_${agent.publicKey}`)).isClosed()).toBe(false);
      publisher.publish('probe.reload', `after-${i}`);
    }
    await publisher.flush();
    await waitFor('messages after the registrations', () => received.length === 4);

    const loadAfter = ((await (await fetch(`${nats.monitorUrl}/varz`)).json()) as { config_load_time: string }).config_load_time;
    expect(loadAfter).toBe(loadBefore);
    expect(await readFile(nats.configPath, 'utf8')).toBe(configBefore);
    expect(received).toEqual(['before', 'after-0', 'after-1', 'after-2']);
    expect(events.filter((e) => e === 'disconnect' || e === 'reconnect')).toEqual([]);
    expect(sub.isClosed()).toBe(false);
  });

  it('revokeAgentKey closes the agent connection and refuses its JWT afterwards; a JWT issued after the revocation works', async () => {
    const agent = agentKey();
    const jwt = await nats.issueAgentJwt(agent.publicKey, 'worker-9', 'prod');
    const nc = await connectNats(
      { url: nats.url, credentials: { kind: 'jwt', jwt: () => jwt, seed: agent.seed } },
      { name: 'revoked', logger: silentLogger, inboxPrefix: `_INBOX_${agent.publicKey}`, reconnectTimeWaitMs: 50 },
    );
    connections.push(nc);
    await nats.revokeAgentKey(agent.publicKey);
    expect(nats.revocations()[agent.publicKey]).toBeGreaterThan(0);
    const persisted = JSON.parse(await readFile(join(dataDir, 'nats', 'revoked-users.json'), 'utf8')) as Record<string, number>;
    expect(Object.keys(persisted)).toContain(agent.publicKey);
    expect((await stat(join(dataDir, 'nats', 'revoked-users.json'))).mode & 0o777).toBe(0o600);
    // The server drops it when it loads the new account JWT; its reconnects are refused and it gives up.
    await waitFor('agent connection closed', () => nc.isClosed(), 15_000);
    await expect(connectAs(nats.url, { seed: agent.seed, jwt })).rejects.toBeInstanceOf(errors.AuthorizationError);
    // Registered again (a new token) with the same key, within the same second: the new JWT must not be born revoked.
    const again = await nats.issueAgentJwt(agent.publicKey, 'worker-9', 'prod');
    expect((await connectAs(nats.url, { seed: agent.seed, jwt: again }, `_INBOX_${agent.publicKey}`)).isClosed()).toBe(false);
  });

  it('rejects malformed agent keys and names', async () => {
    await expect(nats.issueAgentJwt('UNOTAKEY', 'master-1', 'prod')).rejects.toThrow(/nkey/);
    await expect(nats.issueAgentJwt(agentKey().publicKey, 'HCITos_cvm', 'prod')).rejects.toThrow(/DNS-1123/);
    await expect(nats.issueAgentJwt(agentKey().publicKey, 'master-1', 'prod.>')).rejects.toThrow(/cluster name/);
    await expect(nats.revokeAgentKey('UNOTAKEY')).rejects.toThrow(/nkey/);
  });
});

describe('supervision', () => {
  it('restarts nats-server when it dies, on the same port, with the state intact', async () => {
    const nats = await start(await tempDir());
    const nc = await connectAs(nats.url, coordinatorCreds(nats));
    // A short API timeout: a request sent while the client is still reconnecting is lost, not queued.
    const kv = await new Kvm(jetstream(nc, { timeout: 500 })).create('persist', { history: 1 });
    await kv.put('k', 'kept');
    const oldPid = nats.pid();
    expect(oldPid).toBeDefined();
    process.kill(oldPid!, 'SIGKILL');
    const newPid = await waitFor('a new nats-server', () => {
      const pid = nats.pid();
      return pid !== undefined && pid !== oldPid ? pid : undefined;
    });
    expect(alive(newPid)).toBe(true);
    await waitFor(
      'healthy again',
      async () =>
        (await fetch(`${nats.monitorUrl}/healthz`)
          .then((r) => r.ok)
          .catch(() => false)) || undefined,
    );
    // The same client reconnects by itself to the same URL and finds the value in file storage.
    const value = await waitFor('value after restart', async () => (await kv.get('k').catch(() => null))?.string());
    expect(value).toBe('kept');
  });

  it('keeps the keys (agents JWTs stay good) and the revocations across a coordinator restart, and stops cleanly', async () => {
    const dataDir = await tempDir();
    const agent = agentKey();
    const revoked = agentKey();
    const first = await start(dataDir);
    const jwt = await first.issueAgentJwt(agent.publicKey, 'master-1', 'prod');
    const revokedJwt = await first.issueAgentJwt(revoked.publicKey, 'master-2', 'prod');
    await first.revokeAgentKey(revoked.publicKey);
    const coordinatorSeed = await readFile(join(dataDir, 'nats', 'coordinator.nk'), 'utf8');
    const pid = first.pid()!;
    await first.close();
    expect(alive(pid)).toBe(false);
    await expect(first.revokeAgentKey(agentKey().publicKey)).rejects.toThrow(/closed/);

    const second = await start(dataDir, { port: first.port });
    expect(second.url).toBe(first.url);
    expect(await readFile(join(dataDir, 'nats', 'coordinator.nk'), 'utf8')).toBe(coordinatorSeed);
    expect(Object.keys(second.revocations())).toEqual([revoked.publicKey]);
    const nc = await connectAs(second.url, { seed: agent.seed, jwt }, `_INBOX_${agent.publicKey}`);
    expect(nc.isClosed()).toBe(false);
    await expect(connectAs(second.url, { seed: revoked.seed, jwt: revokedJwt })).rejects.toBeInstanceOf(errors.AuthorizationError);
  });

  it("agents are users of their own account: a JWT from the coordinator's account (before the split) stops working at the next start, and the coordinator's own previous one too", async () => {
    const dataDir = await tempDir();
    const agent = agentKey();
    const first = await start(dataDir);
    const keys = await loadOrCreateAuthKeys(join(dataDir, 'nats'));
    // What an agent held before agents had their own account: a user of the coordinator's, with the same permissions.
    const oldStyle = await encodeUser('master-1', fromPublic(agent.publicKey), keys.account, {
      pub: { allow: [...agentPermissions(agent.publicKey, 'prod').publish.allow] },
      sub: { allow: [...agentPermissions(agent.publicKey, 'prod').subscribe.allow] },
    });
    const current = await first.issueAgentJwt(agent.publicKey, 'master-1', 'prod');
    expect(jwtIssuer(current)).toBe(keys.agents.getPublicKey());
    const previousCoordinator = first.credentials;
    await first.close();
    // Past the second the old JWTs were signed in: the coordinator's account refuses what it signed before its start.
    await new Promise((r) => setTimeout(r, 1100));
    const second = await start(dataDir, { port: first.port });
    await expect(connectAs(second.url, { seed: agent.seed, jwt: oldStyle })).rejects.toBeInstanceOf(errors.AuthorizationError);
    await expect(connectAs(second.url, previousCoordinator)).rejects.toBeInstanceOf(errors.AuthorizationError);
    expect((await connectAs(second.url, { seed: agent.seed, jwt: current }, `_INBOX_${agent.publicKey}`)).isClosed()).toBe(false);
    expect((await connectAs(second.url, second.credentials)).isClosed()).toBe(false);
  });

  it("caps an agent's subscriptions: a host cannot pile them up on the server", async () => {
    const dataDir = await tempDir();
    const agent = agentKey();
    const nats = await start(dataDir);
    const jwt = await nats.issueAgentJwt(agent.publicKey, 'master-1', 'prod');
    const nc = await connectAs(nats.url, { seed: agent.seed, jwt }, `_INBOX_${agent.publicKey}`);
    const errorsSeen: string[] = [];
    void (async () => {
      for await (const s of nc.status()) if (s.type === 'error') errorsSeen.push(String((s as { error?: unknown }).error ?? ''));
    })();
    for (let i = 0; i < AGENT_MAX_SUBSCRIPTIONS + 2; i++) nc.subscribe(`_INBOX_${agent.publicKey}.extra${i}`);
    await nc.flush().catch(() => undefined);
    await waitFor('the server to refuse a subscription past the cap', () => errorsSeen.some((e) => /maximum subscriptions/i.test(e)) || undefined);
  });

  it('moves the JetStream store of a data dir from before JWT auth (global account) so the state survives', async () => {
    const dataDir = await tempDir();
    const store = join(dataDir, 'nats');
    await mkdir(store, { recursive: true, mode: 0o700 });
    // What the nkey-user config left: streams under the global account ($G).
    const port = 20000 + Math.floor(Math.random() * 20000);
    const old = spawn('/usr/sbin/nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', store], { stdio: 'ignore' });
    try {
      const nc = await waitFor('old server', () =>
        connectNats({ url: `nats://127.0.0.1:${port}`, credentials: nkeyCredentials(agentKey().seed) }, { name: 'old', logger: silentLogger }).catch(
          () => undefined,
        ),
      );
      const kv = await new Kvm(nc).create('kha-state', { history: 1 });
      await kv.put('spec', 'kept across the upgrade');
      await nc.close();
    } finally {
      old.kill('SIGTERM');
      await new Promise((r) => old.once('exit', r));
    }
    expect((await stat(join(store, 'jetstream', '$G'))).isDirectory()).toBe(true);
    const nats = await start(dataDir);
    const nc = await connectAs(nats.url, coordinatorCreds(nats));
    const kv = await new Kvm(nc).open('kha-state');
    expect((await kv.get('spec'))?.string()).toBe('kept across the upgrade');
  });

  it('moves the store of a server from before JWT auth only once that server, left running by a crashed coordinator, is stopped', async () => {
    const dataDir = await tempDir();
    const store = join(dataDir, 'nats');
    await mkdir(store, { recursive: true, mode: 0o700 });
    const port = 20000 + Math.floor(Math.random() * 20000);
    // The nkey-user era's server under our config path and pid file, still running when the upgraded coordinator starts.
    const configPath = join(store, 'nats-server.conf');
    await writeFile(configPath, `listen: "127.0.0.1:${port}"\njetstream { store_dir: "${store}" }\n`, { mode: 0o600 });
    const old = spawn('/usr/sbin/nats-server', ['-c', configPath], { stdio: 'ignore', detached: true });
    old.unref();
    const oldPid = old.pid!;
    await writeFile(join(store, 'nats-server.pid'), `${oldPid}\n`);
    try {
      const nc = await waitFor('old server', () =>
        connectNats({ url: `nats://127.0.0.1:${port}`, credentials: nkeyCredentials(agentKey().seed) }, { name: 'old', logger: silentLogger }).catch(
          () => undefined,
        ),
      );
      const kv = await new Kvm(nc).create('kha-state', { history: 1 });
      for (let i = 0; i < 200; i++) await kv.put(`op-${i}`, `written while the old server ran ${i}`);
      await nc.close();
      const nats = await start(dataDir, { port });
      expect(alive(oldPid)).toBe(false);
      // Nothing the old server wrote on its way down is left under the global account, where nobody would read it.
      await expect(stat(join(store, 'jetstream', '$G'))).rejects.toThrow();
      const fresh = await connectAs(nats.url, coordinatorCreds(nats));
      const state = await new Kvm(fresh).open('kha-state');
      for (const i of [0, 199]) expect((await state.get(`op-${i}`))?.string()).toBe(`written while the old server ran ${i}`);
    } finally {
      if (alive(oldPid)) process.kill(oldPid, 'SIGKILL');
    }
  });

  it('stops a nats-server left behind by a crashed coordinator before starting its own', async () => {
    const dataDir = await tempDir();
    const first = await start(dataDir);
    const configPath = first.configPath;
    await first.close();
    // What a SIGKILLed coordinator leaves: a server with our config, still holding port and store.
    const orphan = spawn('/usr/sbin/nats-server', ['-c', configPath], { stdio: 'ignore', detached: true });
    orphan.unref();
    const orphanPid = orphan.pid!;
    try {
      await waitFor(
        'orphan up',
        async () =>
          (await fetch(`${first.monitorUrl}/healthz`)
            .then((r) => r.ok)
            .catch(() => false)) || undefined,
      );
      const second = await start(dataDir, { port: first.port, monitorPort: Number(new URL(first.monitorUrl).port) });
      expect(alive(orphanPid)).toBe(false);
      expect(second.pid()).not.toBe(orphanPid);
      const nc = await connectAs(second.url, coordinatorCreds(second));
      expect(nc.isClosed()).toBe(false);
    } finally {
      if (alive(orphanPid)) process.kill(orphanPid, 'SIGKILL');
    }
  });

  it('forwards the server log to the logger and fails start with the server reason', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
        cb();
      },
    });
    const logger = pino({ level: 'debug' }, sink);
    const nats = await start(await tempDir(), { logger });
    await waitFor('server log line', () => lines.some((l) => l.component === 'nats-server' && String(l.serverLog).includes('Server is ready')) || undefined);
    const ready = lines.find((l) => String(l.serverLog).includes('Server is ready'))!;
    expect(ready.level).toBe(20);

    // A second server on the same port cannot bind: start fails and says why.
    await expect(start(await tempDir(), { port: nats.port })).rejects.toThrow(/exited 1.*address already in use|address already in use/s);
  });
});

describe('bursts', () => {
  it('applies a burst of revocations in a few account pushes, without a reload or a dropped connection, refusing only the malformed one', async () => {
    const serverLines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const l of chunk.toString().split('\n').filter(Boolean)) {
          const entry = JSON.parse(l) as { serverLog?: string };
          if (entry.serverLog) serverLines.push(entry.serverLog);
        }
        cb();
      },
    });
    const nats = await start(await tempDir(), { logger: pino({ level: 'debug' }, sink) });
    const coordinator = await connectAs(nats.url, coordinatorCreds(nats));
    const events: string[] = [];
    void (async () => {
      for await (const st of coordinator.status()) events.push(st.type);
    })();
    const keys = Array.from({ length: 20 }, agentKey);
    const jwts = await Promise.all(keys.map((k, i) => nats.issueAgentJwt(k.publicKey, `burst-${i}`, 'prod')));
    const kept = agentKey();
    const keptJwt = await nats.issueAgentJwt(kept.publicKey, 'kept', 'prod');
    const results = await Promise.allSettled([...keys.map((k) => nats.revokeAgentKey(k.publicKey)), nats.revokeAgentKey('UNOTAKEY')]);
    expect(results.slice(0, 20).every((r) => r.status === 'fulfilled')).toBe(true);
    expect(results[20]!.status).toBe('rejected');
    expect(Object.keys(nats.revocations())).toHaveLength(20);
    await expect(connectAs(nats.url, { seed: keys[19]!.seed, jwt: jwts[19]! })).rejects.toBeInstanceOf(errors.AuthorizationError);
    const nc = await connectAs(nats.url, { seed: kept.seed, jwt: keptJwt }, `_INBOX_${kept.publicKey}`);
    expect(nc.isClosed()).toBe(false);
    // Pushed as account updates: no config reload (which, in operator mode, would reconnect every client).
    expect(serverLines.filter((l) => l.includes('Reloaded server configuration'))).toEqual([]);
    expect(events.filter((e) => e === 'disconnect' || e === 'reconnect')).toEqual([]);
  });
});

describe('TLS', () => {
  it('serves TLS only, pushes revocations over it, and a failed reload is reported and retried', async () => {
    const dir = await tempDir();
    const cert = join(dir, 'nats.crt');
    const key = join(dir, 'nats.key');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=kubeadm-ha-nats',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: 'ignore' },
    );
    const nats = await start(join(dir, 'data'), { tls: { certFile: cert, keyFile: key }, clientTls: { caFile: cert } });
    expect(nats.url).toMatch(/^tls:\/\/127\.0\.0\.1:\d+$/);
    const coordinator = coordinatorCreds(nats);
    const nc = await connectNats(nats, { name: 'tls', logger: silentLogger });
    connections.push(nc);
    expect(nc.isClosed()).toBe(false);
    // A client that trusts another CA refuses the server.
    const otherCa = join(dir, 'other.crt');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=someone-else',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'other.key'),
        '-out',
        otherCa,
      ],
      { stdio: 'ignore' },
    );
    await expect(
      connectNats({ url: nats.url, credentials: coordinator, tls: { caFile: otherCa } }, { name: 'wrong-ca', logger: silentLogger, timeoutMs: 2000 }),
    ).rejects.toThrow();
    // A client that does not speak TLS gets nowhere.
    await expect(
      connectNats({ url: `nats://127.0.0.1:${nats.port}`, credentials: coordinator }, { name: 'plain', logger: silentLogger, timeoutMs: 2000 }),
    ).rejects.toThrow();

    // The server cannot load a config whose key file is gone: the reload fails, loudly.
    const agent = agentKey();
    const jwt = await nats.issueAgentJwt(agent.publicKey, 'master-1', 'prod');
    const agentNc = await connectNats(
      { url: nats.url, credentials: { kind: 'jwt', jwt: () => jwt, seed: agent.seed }, tls: { caFile: cert } },
      { name: 'tls-agent', logger: silentLogger, inboxPrefix: `_INBOX_${agent.publicKey}`, reconnectTimeWaitMs: 50 },
    );
    connections.push(agentNc);
    expect(agentNc.isClosed()).toBe(false);
    await nats.revokeAgentKey(agent.publicKey);
    await waitFor('revoked agent connection closed', () => agentNc.isClosed(), 15_000);
    // The server cannot load a config whose key file is gone (a TLS certificate reissued wrongly): the reload fails, loudly.
    await rename(key, `${key}.away`);
    await expect(nats.reload()).rejects.toThrow(/rejected the new config/);
    expect(nc.isClosed()).toBe(false);
    await rename(`${key}.away`, key);
    await nats.reload();
    expect(nc.isClosed()).toBe(false);
  });
});
