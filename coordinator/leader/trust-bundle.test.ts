import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, PreconditionError } from '../../core/errors.js';
import { silentLogger } from '../../lib/log.js';
import { connectNats } from '../../lib/nats/connect.js';
import { startLocalNats, type LocalNats } from '../nats/server.js';
import { CA_KEY_FILE, loadOrCreateCa } from '../pki/ca.js';
import { StateStore } from '../state/store.js';
import { adoptClusterCa, claimClusterCa, fetchTrustBundle, trustBundleKey, uploadTrustBundle } from './trust-bundle.js';

let dir: string;
let nats: LocalNats;
let nc: NatsConnection;
let store: StateStore;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kha-trust-'));
  nats = await startLocalNats({ dataDir: join(dir, 'nats-host'), clusterName: 'test', logger: silentLogger, stopGraceMs: 3000 });
  nc = await connectNats(nats, { name: 'trust-test', logger: silentLogger });
  store = await StateStore.open(nc);
}, 30_000);

afterAll(async () => {
  await nc?.close().catch(() => undefined);
  await nats?.close().catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

async function keyFile(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `${text}\n`, { mode: 0o600 });
  return path;
}

describe('the sealed CA for a standby coordinator', () => {
  it('opens once with the printed key: same CA, key 0600, NATS auth keys along; nothing of it readable in NATS', async () => {
    const leaderPki = join(dir, 'leader', 'pki');
    const ca = await loadOrCreateCa(leaderPki);
    const authDir = join(dir, 'leader', 'nats-auth');
    await mkdir(authDir, { recursive: true });
    await writeFile(join(authDir, 'agents-account.nk'), 'SAAGENTSSEED');
    await claimClusterCa(store.stateKv, 'one', ca.pin, leaderPki);
    const sealed = await uploadTrustBundle(store.stateKv, 'one', leaderPki, ca.pin, authDir);
    expect(sealed.key).toMatch(/^[0-9a-f]{64}$/);
    const stored = new TextDecoder().decode((await store.stateKv.get(trustBundleKey('one')))!.value);
    expect(stored).not.toContain('PRIVATE KEY');
    expect(stored).not.toContain('SAAGENTSSEED');
    expect(stored).not.toContain(sealed.key);

    const standbyPki = join(dir, 'standby', 'pki');
    const standbyAuth = join(dir, 'standby', 'nats-auth');
    const got = await adoptClusterCa(store.stateKv, 'one', standbyPki, await keyFile('one.key', sealed.key), standbyAuth);
    expect(got.pin).toBe(ca.pin);
    expect((await stat(join(standbyPki, CA_KEY_FILE))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(standbyAuth, 'agents-account.nk'), 'utf8')).toBe('SAAGENTSSEED');
    // One use: the bundle is gone.
    expect((await store.stateKv.get(trustBundleKey('one')))?.operation).not.toBe('PUT');
    // Purged, history included: no revision of it is left to open with the same key.
    const history: string[] = [];
    for await (const e of await store.stateKv.history({ key: trustBundleKey('one') })) if (e.operation === 'PUT') history.push(String(e.revision));
    expect(history).toEqual([]);
    await expect(fetchTrustBundle(store.stateKv, 'one', await keyFile('one.key', sealed.key), join(dir, 'third'))).rejects.toBeInstanceOf(PreconditionError);
  });

  it('refuses a wrong key, an expired bundle, another cluster, and a coordinator with no CA or another CA', async () => {
    const pki = join(dir, 'two', 'pki');
    const ca = await loadOrCreateCa(pki);
    await claimClusterCa(store.stateKv, 'two', ca.pin, pki);
    const sealed = await uploadTrustBundle(store.stateKv, 'two', pki, ca.pin);
    const wrong = await keyFile('wrong.key', 'f'.repeat(64));
    await expect(fetchTrustBundle(store.stateKv, 'two', wrong, join(dir, 'x', 'pki'))).rejects.toBeInstanceOf(AuthError);
    await expect(fetchTrustBundle(store.stateKv, 'two', await keyFile('bad.key', 'not hex'), join(dir, 'x', 'pki'))).rejects.toThrow(/64 hex digits/);
    const open = join(dir, 'open.key');
    await writeFile(open, sealed.key, { mode: 0o644 });
    await expect(fetchTrustBundle(store.stateKv, 'two', open, join(dir, 'x', 'pki'))).rejects.toThrow(/readable by others/);
    const later = new Date(Date.now() + 3 * 3600_000);
    await expect(fetchTrustBundle(store.stateKv, 'two', await keyFile('two.key', sealed.key), join(dir, 'x', 'pki'), undefined, later)).rejects.toThrow(
      /expired/,
    );
    // Bound to its cluster: the same key does not open it as another cluster's.
    await store.stateKv.put(trustBundleKey('three'), (await store.stateKv.get(trustBundleKey('two')))!.value);
    await expect(fetchTrustBundle(store.stateKv, 'three', await keyFile('two.key', sealed.key), join(dir, 'y', 'pki'))).rejects.toBeInstanceOf(AuthError);
    // No CA here, and none brought: refused rather than given a second CA.
    await expect(adoptClusterCa(store.stateKv, 'two', join(dir, 'empty', 'pki'), undefined)).rejects.toThrow(/upload-trust/);
    // A CA of its own: refused at the claim.
    const otherPki = join(dir, 'other', 'pki');
    const other = await loadOrCreateCa(otherPki);
    await expect(claimClusterCa(store.stateKv, 'two', other.pin, otherPki)).rejects.toBeInstanceOf(PreconditionError);
  });
});
