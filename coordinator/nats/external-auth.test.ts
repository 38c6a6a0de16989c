import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUser } from '@nats-io/nkeys';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../lib/log.js';
import { connectNats } from '../../lib/nats/connect.js';
import { LB_BUCKET, kvSubject } from '../../lib/nats/names.js';
import { StateStore } from '../state/store.js';
import { ExternalNatsUsers, initExternalAuth, NATS_AUTH_DIR, SERVER_INCLUDE_FILE } from './external-auth.js';
import { pickFreePort } from './ports.js';

const BINARY = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'];

let dir: string;
let server: ChildProcess | undefined;
let url: string;
let coordinator: NatsConnection;
let store: StateStore;
const connections: NatsConnection[] = [];

async function binary(): Promise<string> {
  for (const b of BINARY)
    if (
      await stat(b).then(
        () => true,
        () => false,
      )
    )
      return b;
  return 'nats-server';
}

async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await check();
    if (got) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kha-external-auth-'));
  const made = await initExternalAuth(dir, join(dir, 'resolver'));
  const port = await pickFreePort('127.0.0.1');
  url = `nats://127.0.0.1:${port}`;
  // An operator's server: its own settings, and kubeadm-ha's include for auth (nothing else from us).
  const conf = join(dir, NATS_AUTH_DIR, 'server.conf');
  await writeFile(conf, `host: "127.0.0.1"\nport: ${port}\njetstream { store_dir: "${join(dir, 'js')}" }\ninclude ${SERVER_INCLUDE_FILE}\n`);
  server = spawn(await binary(), ['-c', conf], { stdio: 'ignore' });
  const creds = new Uint8Array(await readFile(made.credsPath));
  coordinator = await waitFor('the coordinator to log in', () =>
    connectNats({ url, credentials: { kind: 'creds', creds } }, { name: 'external-auth-test', logger: silentLogger, timeoutMs: 1000 }).catch(() => undefined),
  );
  store = await StateStore.open(coordinator);
}, 30_000);

afterAll(async () => {
  for (const nc of connections) await nc.close().catch(() => undefined);
  await coordinator?.close().catch(() => undefined);
  server?.kill('SIGTERM');
  await rm(dir, { recursive: true, force: true });
});

describe('decentralised auth on an operator-run nats-server (nats-auth include, real server)', () => {
  it('writes keys 0600 and an include of public JWTs only, the same keys when run again', async () => {
    const authDir = join(dir, NATS_AUTH_DIR);
    const include = await readFile(join(authDir, SERVER_INCLUDE_FILE), 'utf8');
    expect(include).toMatch(/^operator: "ey/m);
    expect(include).toContain('type: full');
    expect(include).not.toMatch(/S[OAU][A-Z2-7]{40,}/);
    for (const f of ['operator.nk', 'account.nk', 'agents-account.nk', 'system-account.nk', 'coordinator.creds'])
      expect((await stat(join(authDir, f))).mode & 0o777, f).toBe(0o600);
    const creds = await readFile(join(authDir, 'coordinator.creds'), 'utf8');
    await initExternalAuth(dir, join(dir, 'resolver'));
    expect(await readFile(join(authDir, 'coordinator.creds'), 'utf8')).toBe(creds);
    expect(await readFile(join(authDir, SERVER_INCLUDE_FILE), 'utf8')).toBe(include);
  });

  it('an agent user signed by the coordinator reads its backend set; revoked, its connection closes and its JWT is refused', async () => {
    const users = await ExternalNatsUsers.load(dir, { url }, store.cluster('prod').natsRevocations, silentLogger);
    expect(users).toBeDefined();
    const agent = createUser();
    const jwt = await users!.issueAgentJwt(agent.getPublicKey(), 'worker-1', 'prod');
    const nc = await connectNats(
      { url, credentials: { kind: 'jwt', jwt: () => jwt, seed: agent.getSeed() } },
      { name: 'agent', logger: silentLogger, inboxPrefix: `_INBOX_${agent.getPublicKey()}`, reconnectTimeWaitMs: 50 },
    );
    connections.push(nc);
    const got: string[] = [];
    const sub = nc.subscribe(kvSubject(LB_BUCKET, 'prod'), { callback: (_e, m) => void got.push(m.string()) });
    await nc.flush();
    coordinator.publish(kvSubject(LB_BUCKET, 'prod'), 'a set');
    await waitFor('the agent to receive the set', () => got.length === 1);
    expect(sub.isClosed()).toBe(false);
    await users!.revokeAgentKey(agent.getPublicKey());
    expect(Object.keys((await store.cluster('prod').natsRevocations.get())?.value ?? {})).toEqual([agent.getPublicKey()]);
    await waitFor('the revoked agent connection to close', () => nc.isClosed(), 15_000);
    await expect(
      connectNats({ url, credentials: { kind: 'jwt', jwt: () => jwt, seed: agent.getSeed() } }, { name: 'again', logger: silentLogger, timeoutMs: 2000 }),
    ).rejects.toThrow();
  }, 30_000);

  it('a data dir without the keys has no agent users to give (the operator runs its own accounts)', async () => {
    const other = await mkdtemp(join(tmpdir(), 'kha-no-auth-'));
    expect(await ExternalNatsUsers.load(other, { url }, store.cluster('prod').natsRevocations, silentLogger)).toBeUndefined();
    await rm(other, { recursive: true, force: true });
  });
});
