import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { createUser } from '@nats-io/nkeys';
import { errors, type NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../lib/log.js';
import { connectNats } from '../../lib/nats/connect.js';
import { nkeyCredentials } from '../../lib/nats/credentials.js';
import { startLocalNats, type LocalNats } from './server.js';

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

async function connectAs(url: string, seed: Uint8Array | string, inboxPrefix?: string): Promise<NatsConnection> {
  const nc = await connectNats(
    { url, credentials: nkeyCredentials(seed) },
    { name: 'test', logger: silentLogger, inboxPrefix, reconnectTimeWaitMs: 100, reconnectJitterMs: 50 },
  );
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
    expect((await stat(join(dataDir, 'nats', 'coordinator.nk'))).mode & 0o777).toBe(0o600);
    const config = await readFile(nats.configPath, 'utf8');
    expect(config).toContain(`port: ${nats.port}`);
    expect(config).toMatch(/http: "127\.0\.0\.1:\d+"/);
    // Only public keys are in the config, never the seed.
    const seed = new TextDecoder().decode((nats.credentials as { seed: Uint8Array }).seed);
    expect(config).not.toContain(seed);

    const nc = await connectAs(nats.url, (nats.credentials as { seed: Uint8Array }).seed);
    const kv = await new Kvm(nc).create('probe', { history: 1 });
    await kv.put('k', 'v');
    expect((await kv.get('k'))?.string()).toBe('v');
    expect((await stat(join(dataDir, 'nats', 'jetstream'))).isDirectory()).toBe(true);
    const health = (await (await fetch(`${nats.monitorUrl}/healthz`)).json()) as { status: string };
    expect(health.status).toBe('ok');
  });

  it('refuses unknown keys, and lets an agent in after addAgentUser', async () => {
    const agent = agentKey();
    await expect(connectAs(nats.url, agent.seed)).rejects.toBeInstanceOf(errors.AuthorizationError);
    await nats.addAgentUser(agent.publicKey, 'master-1', 'prod');
    const nc = await connectAs(nats.url, agent.seed, `_INBOX_${agent.publicKey}`);
    expect(nc.isClosed()).toBe(false);
    expect(nats.agentUsers()).toContainEqual({ publicKey: agent.publicKey, agentName: 'master-1', cluster: 'prod' });
    const persisted = JSON.parse(await readFile(join(dataDir, 'nats', 'agent-users.json'), 'utf8')) as { agents: { publicKey: string }[] };
    expect(persisted.agents.map((a) => a.publicKey)).toContain(agent.publicKey);
    expect((await stat(join(dataDir, 'nats', 'agent-users.json'))).mode & 0o777).toBe(0o600);
  });

  it('reloads live on addAgentUser without dropping a connected client or its subscription', async () => {
    const nc = await connectAs(nats.url, (nats.credentials as { seed: Uint8Array }).seed);
    const events: string[] = [];
    void (async () => {
      for await (const s of nc.status()) events.push(s.type);
    })();
    const received: string[] = [];
    const sub = nc.subscribe('probe.reload', { callback: (_err, msg) => void received.push(msg.string()) });
    const publisher = await connectAs(nats.url, (nats.credentials as { seed: Uint8Array }).seed);
    publisher.publish('probe.reload', 'before');
    await publisher.flush();
    await waitFor('first message', () => received.length === 1);
    const pidBefore = nats.pid();
    const loadBefore = ((await (await fetch(`${nats.monitorUrl}/varz`)).json()) as { config_load_time: string }).config_load_time;

    for (let i = 0; i < 3; i++) {
      const agent = agentKey();
      await nats.addAgentUser(agent.publicKey, `worker-${i}`, 'prod');
      publisher.publish('probe.reload', `after-${i}`);
    }
    await publisher.flush();
    await waitFor('messages after reloads', () => received.length === 4);

    const loadAfter = ((await (await fetch(`${nats.monitorUrl}/varz`)).json()) as { config_load_time: string }).config_load_time;
    expect(loadAfter).not.toBe(loadBefore);
    expect(nats.pid()).toBe(pidBefore);
    expect(received).toEqual(['before', 'after-0', 'after-1', 'after-2']);
    expect(events.filter((e) => e === 'disconnect' || e === 'reconnect')).toEqual([]);
    expect(sub.isClosed()).toBe(false);
  });

  it('is idempotent: adding the same agent again does not reload', async () => {
    const agent = agentKey();
    await nats.addAgentUser(agent.publicKey, 'master-2', 'prod');
    const before = ((await (await fetch(`${nats.monitorUrl}/varz`)).json()) as { config_load_time: string }).config_load_time;
    await nats.addAgentUser(agent.publicKey, 'master-2', 'prod');
    const after = ((await (await fetch(`${nats.monitorUrl}/varz`)).json()) as { config_load_time: string }).config_load_time;
    expect(after).toBe(before);
  });

  it('replaces an agent key when the same agent registers again with a new one', async () => {
    const first = agentKey();
    const second = agentKey();
    await nats.addAgentUser(first.publicKey, 'master-3', 'prod');
    await nats.addAgentUser(second.publicKey, 'master-3', 'prod');
    const keys = nats
      .agentUsers()
      .filter((u) => u.agentName === 'master-3')
      .map((u) => u.publicKey);
    expect(keys).toEqual([second.publicKey]);
    await expect(connectAs(nats.url, first.seed)).rejects.toBeInstanceOf(errors.AuthorizationError);
  });

  it('removeAgentUser closes the agent connection and refuses it afterwards', async () => {
    const agent = agentKey();
    await nats.addAgentUser(agent.publicKey, 'worker-9', 'prod');
    const nc = await connectNats(
      { url: nats.url, credentials: nkeyCredentials(agent.seed) },
      { name: 'removed', logger: silentLogger, inboxPrefix: `_INBOX_${agent.publicKey}`, reconnectTimeWaitMs: 50 },
    );
    connections.push(nc);
    expect(await nats.removeAgentUser('worker-9')).toBe(true);
    expect(await nats.removeAgentUser('worker-9')).toBe(false);
    // The server drops it on reload; the client's reconnects are refused twice and it gives up.
    await waitFor('agent connection closed', () => nc.isClosed(), 15_000);
    await expect(connectAs(nats.url, agent.seed)).rejects.toBeInstanceOf(errors.AuthorizationError);
  });

  it('rejects malformed agent users', async () => {
    await expect(nats.addAgentUser('UNOTAKEY', 'master-1', 'prod')).rejects.toThrow(/nkey/);
    await expect(nats.addAgentUser(agentKey().publicKey, 'HCITos_cvm', 'prod')).rejects.toThrow(/DNS-1123/);
    await expect(nats.addAgentUser(agentKey().publicKey, 'master-1', 'prod.>')).rejects.toThrow(/cluster name/);
  });
});

describe('supervision', () => {
  it('restarts nats-server when it dies, on the same port, with the state intact', async () => {
    const nats = await start(await tempDir());
    const nc = await connectAs(nats.url, (nats.credentials as { seed: Uint8Array }).seed);
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

  it('keeps agent users and the coordinator key across a coordinator restart, and stops cleanly', async () => {
    const dataDir = await tempDir();
    const agent = agentKey();
    const first = await start(dataDir);
    await first.addAgentUser(agent.publicKey, 'master-1', 'prod');
    const coordinatorSeed = (first.credentials as { seed: Uint8Array }).seed;
    const pid = first.pid()!;
    await first.close();
    expect(alive(pid)).toBe(false);
    await expect(first.addAgentUser(agentKey().publicKey, 'master-2', 'prod')).rejects.toThrow(/closed/);

    const second = await start(dataDir, { port: first.port });
    expect(second.url).toBe(first.url);
    expect((second.credentials as { seed: Uint8Array }).seed).toEqual(coordinatorSeed);
    expect(second.agentUsers()).toEqual([{ publicKey: agent.publicKey, agentName: 'master-1', cluster: 'prod' }]);
    const nc = await connectAs(second.url, agent.seed, `_INBOX_${agent.publicKey}`);
    expect(nc.isClosed()).toBe(false);
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
      const nc = await connectAs(second.url, (second.credentials as { seed: Uint8Array }).seed);
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
  it('applies a burst of registrations with a few reloads, refusing only the malformed one', async () => {
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
    const keys = Array.from({ length: 20 }, agentKey);
    const results = await Promise.allSettled([
      ...keys.map((k, i) => nats.addAgentUser(k.publicKey, `burst-${i}`, 'prod')),
      nats.addAgentUser('UNOTAKEY', 'burst-bad', 'prod'),
    ]);
    expect(results.slice(0, 20).every((r) => r.status === 'fulfilled')).toBe(true);
    expect(results[20]!.status).toBe('rejected');
    expect(nats.agentUsers()).toHaveLength(20);
    const nc = await connectAs(nats.url, keys[19]!.seed, `_INBOX_${keys[19]!.publicKey}`);
    expect(nc.isClosed()).toBe(false);
    const reloads = serverLines.filter((l) => l.includes('Reloaded server configuration')).length;
    expect(reloads).toBeGreaterThanOrEqual(1);
    expect(reloads).toBeLessThanOrEqual(3);
  });
});

describe('TLS', () => {
  it('serves TLS only, and a failed reload is reported and retried on the next change', async () => {
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
    const seed = (nats.credentials as { seed: Uint8Array }).seed;
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
      connectNats({ url: nats.url, credentials: nkeyCredentials(seed), tls: { caFile: otherCa } }, { name: 'wrong-ca', logger: silentLogger, timeoutMs: 2000 }),
    ).rejects.toThrow();
    // A client that does not speak TLS gets nowhere.
    await expect(
      connectNats({ url: `nats://127.0.0.1:${nats.port}`, credentials: nkeyCredentials(seed) }, { name: 'plain', logger: silentLogger, timeoutMs: 2000 }),
    ).rejects.toThrow();

    // The server cannot load a config whose key file is gone: the reload fails, loudly.
    const agent = agentKey();
    await rename(key, `${key}.away`);
    await expect(nats.addAgentUser(agent.publicKey, 'master-1', 'prod')).rejects.toThrow(/rejected the new config/);
    expect(nc.isClosed()).toBe(false);
    await rename(`${key}.away`, key);
    // Asking again (same user) retries the reload instead of assuming it happened.
    await nats.addAgentUser(agent.publicKey, 'master-1', 'prod');
    const agentNc = await connectNats(
      { url: nats.url, credentials: nkeyCredentials(agent.seed), tls: { caFile: cert } },
      { name: 'tls-agent', logger: silentLogger, inboxPrefix: `_INBOX_${agent.publicKey}` },
    );
    connections.push(agentNc);
    expect(agentNc.isClosed()).toBe(false);
  });
});
