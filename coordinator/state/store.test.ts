import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addBackend, drainBackend, emptyBackendSet, removeBackend, withBackends, withLoadBalancerConfig, type BackendSet } from '../../core/backend-set.js';
import { planCluster } from '../../core/plan.js';
import { loadBalancerConfig } from '../../core/render/haproxy.js';
import { loadSpec } from '../../core/validate.js';
import { silentLogger } from '../../lib/log.js';
import { connectNats } from '../../lib/nats/connect.js';
import { startLocalNats, type LocalNats } from '../nats/server.js';
import { StateConflictError, StateCorruptError } from '../../core/errors.js';
import { DELETE, StateStore, UNCHANGED, type PhaseRecord, type TokenRecord } from './store.js';

const FIXTURE = readFileSync(new URL('../../test/fixtures/cluster.yaml', import.meta.url), 'utf8');

let dataDir: string;
let nats: LocalNats;
let nc: NatsConnection;
let store: StateStore;

async function connect(server: LocalNats): Promise<NatsConnection> {
  return connectNats(server, { name: 'store-test', logger: silentLogger, reconnectTimeWaitMs: 100, reconnectJitterMs: 50 });
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'kha-state-'));
  nats = await startLocalNats({ dataDir, clusterName: 'test', logger: silentLogger, stopGraceMs: 3000 });
  nc = await connect(nats);
  store = await StateStore.open(nc);
});

afterAll(async () => {
  await nc?.close().catch(() => undefined);
  await nats?.close().catch(() => undefined);
  await rm(dataDir, { recursive: true, force: true });
});

const token: TokenRecord = {
  id: 'abcdef',
  secretSha256: 'a'.repeat(64),
  expiresAt: '2030-01-01T00:00:00Z',
  createdAt: '2029-12-31T00:00:00Z',
  uses: 0,
  maxUses: 3,
  roleHint: 'worker',
};

describe('records', () => {
  it('round-trip through KV with their revision, and disappear when deleted', async () => {
    const prod = store.cluster('prod');
    const rev = await prod.nodes.put('master-0', { name: 'master-0', role: 'control-plane', joined: true, joinedAt: '2030-01-01T00:00:00Z' });
    const got = await prod.nodes.get('master-0');
    expect(got).toEqual({ value: { name: 'master-0', role: 'control-plane', joined: true, joinedAt: '2030-01-01T00:00:00Z' }, revision: rev });
    await prod.nodes.put('worker-0', { name: 'worker-0', role: 'worker', joined: false });
    expect(await prod.nodes.ids()).toEqual(['master-0', 'worker-0']);
    expect([...(await prod.nodes.list()).keys()]).toEqual(['master-0', 'worker-0']);
    await prod.nodes.delete('worker-0');
    expect(await prod.nodes.get('worker-0')).toBeUndefined();
    expect(await prod.nodes.ids()).toEqual(['master-0']);
    // Another cluster's records are elsewhere.
    expect(await store.cluster('staging').nodes.ids()).toEqual([]);
  });

  it('stores the spec in its user-facing shape and validates it again on read', async () => {
    const { spec } = loadSpec(FIXTURE);
    const ref = store.cluster(spec.name).spec;
    await ref.put(spec);
    expect((await ref.get())?.value).toEqual(spec);
    expect(await store.clusters()).toContain(spec.name);
  });

  it('keeps tokens without any secret and refuses a record that carries one', async () => {
    const tokens = store.cluster('prod').tokens;
    await tokens.create('abcdef', token);
    const raw = (await store.stateKv.get('clusters.prod.tokens.abcdef'))!.string();
    expect(JSON.parse(raw)).toEqual(token);
    await expect(tokens.put('abcdeg', { ...token, id: 'abcdeg', secret: '0123456789abcdef' } as TokenRecord)).rejects.toThrow(/secret/);
    await expect(tokens.put('abcdeh', { ...token, id: 'abcdeh', secretSha256: 'not-a-hash' })).rejects.toThrow(/64 lowercase hex/);
    expect(await tokens.get('abcdeg')).toBeUndefined();
  });

  it('refuses a corrupt stored record with an error naming the key', async () => {
    await store.stateKv.put('clusters.prod.agents.master-9', '{"name":"master-9"}');
    await expect(store.cluster('prod').agents.get('master-9')).rejects.toThrow(StateCorruptError);
    await expect(store.cluster('prod').agents.get('master-9')).rejects.toThrow(/kha-state clusters\.prod\.agents\.master-9 \(revision \d+\) is invalid/);
    await store.stateKv.put('clusters.prod.agents.master-8', 'garbage{');
    await expect(store.cluster('prod').agents.get('master-8')).rejects.toThrow(/is not JSON/);
  });

  it('refuses ids that would nest under another key', async () => {
    await expect(store.cluster('prod').nodes.get('a.b')).rejects.toThrow(/may only hold/);
    expect(() => store.cluster('Prod')).toThrow(/DNS-1123/);
  });

  it('keeps unknown fields a newer coordinator wrote across a read-modify-write', async () => {
    const phases = store.cluster('prod').phases;
    await store.stateKv.put('clusters.prod.phases.preflight', JSON.stringify({ phase: 'preflight', status: 'running', attempts: 1, futureField: { x: 1 } }));
    await phases.update('preflight', (cur) => (cur ? { ...cur, status: 'done' } : UNCHANGED));
    expect((await phases.get('preflight'))?.value).toEqual({ phase: 'preflight', status: 'done', attempts: 1, futureField: { x: 1 } });
  });
});

describe('compare-and-set', () => {
  it('detects a write made since the revision the writer read', async () => {
    const phases = store.cluster('prod').phases;
    const rev1 = await phases.create('init', { phase: 'init', status: 'running', attempts: 1 });
    await expect(phases.create('init', { phase: 'init', status: 'running', attempts: 1 })).rejects.toBeInstanceOf(StateConflictError);
    // Writer A and writer B both read rev1; A writes first, B must be refused.
    const rev2 = await phases.put('init', { phase: 'init', status: 'done', attempts: 1 }, { expectedRevision: rev1 });
    const stale = phases.put('init', { phase: 'init', status: 'failed', attempts: 1, error: 'boom' }, { expectedRevision: rev1 });
    await expect(stale).rejects.toBeInstanceOf(StateConflictError);
    await expect(stale).rejects.toThrow(/changed since revision/);
    expect(await phases.get('init')).toEqual({ value: { phase: 'init', status: 'done', attempts: 1 }, revision: rev2 });
    await expect(phases.delete('init', { expectedRevision: rev1 })).rejects.toBeInstanceOf(StateConflictError);
  });

  it('update() re-reads on conflict so concurrent writers lose nothing', async () => {
    const phases = store.cluster('prod').phases;
    const bump = (cur: PhaseRecord | undefined): PhaseRecord => ({ phase: 'join-workers', status: 'running', attempts: (cur?.attempts ?? 0) + 1 });
    // A second connection, as a standby coordinator would have.
    const other = await connect(nats);
    try {
      const otherStore = await StateStore.open(other);
      const writers = Array.from({ length: 8 }, (_, i) =>
        (i % 2 === 0 ? store : otherStore).cluster('prod').phases.update('join-workers', bump, { maxAttempts: 50 }),
      );
      await Promise.all(writers);
    } finally {
      await other.close();
    }
    expect((await phases.get('join-workers'))?.value.attempts).toBe(8);
  });

  it('update() can delete, and can re-create over a deleted record', async () => {
    const nodes = store.cluster('prod').nodes;
    await nodes.put('worker-5', { name: 'worker-5', role: 'worker', joined: false });
    expect(await nodes.update('worker-5', () => DELETE)).toBeUndefined();
    expect(await nodes.get('worker-5')).toBeUndefined();
    const again = await nodes.update('worker-5', (cur) => (cur ? UNCHANGED : { name: 'worker-5', role: 'worker', joined: true }));
    expect(again?.value.joined).toBe(true);
    await nodes.delete('worker-5');
    await nodes.create('worker-5', { name: 'worker-5', role: 'worker', joined: false });
    expect((await nodes.get('worker-5'))?.value.joined).toBe(false);
  });
});

describe('backend sets', () => {
  const m0 = { name: 'master-0', address: '198.18.0.10', port: 6443 };
  const m1 = { name: 'master-1', address: '198.18.0.11', port: 6443 };

  it('start empty at version 0 and only accept exactly the next version', async () => {
    const sets = store.backendSets;
    const s0 = await sets.current('lbtest');
    expect(s0).toEqual(emptyBackendSet('lbtest'));
    const s1 = addBackend(s0, m0);
    await sets.publish(s1);
    // The same version again, a gap, and going back are all refused, and nothing is written.
    await expect(sets.publish(s1)).rejects.toThrow(/version 1 does not follow the stored version 1; only 2 may be published/);
    await expect(sets.publish({ ...addBackend(s1, m1), version: 3 })).rejects.toBeInstanceOf(StateConflictError);
    await expect(sets.publish({ ...s1, version: 0 })).rejects.toBeInstanceOf(StateConflictError);
    expect(await sets.current('lbtest')).toEqual(s1);
    const s2 = addBackend(s1, m1);
    await sets.publish(s2);
    expect(await sets.current('lbtest')).toEqual(s2);
  });

  it('let exactly one of two concurrent publishers of the same version win', async () => {
    const sets = store.backendSets;
    const base = await sets.current('race');
    const a = addBackend(base, m0);
    const b = addBackend(base, m1);
    const results = await Promise.allSettled([sets.publish(a), sets.publish(b)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(StateConflictError);
    expect((await sets.current('race')).version).toBe(base.version + 1);
  });

  it('update() applies transitions with CAS retries and publishes nothing when nothing changes', async () => {
    const sets = store.backendSets;
    const final = await Promise.all([sets.update('upd', (s) => addBackend(s, m0)), sets.update('upd', (s) => addBackend(s, m1))]);
    expect(final.map((s) => s.version).sort()).toEqual([1, 2]);
    const stored = await sets.get('upd');
    expect(stored.set.backends.map((b) => b.name)).toEqual(['master-0', 'master-1']);
    const same = await sets.update('upd', (s) => removeBackend(s, 'absent'));
    expect(same.version).toBe(2);
    expect((await sets.get('upd')).revision).toBe(stored.revision);
    const drained = await sets.update('upd', (s) => drainBackend(s, 'master-0'));
    expect(drained.version).toBe(3);
    // Composed transitions still publish one version.
    const composed = await sets.update('upd', (s) => removeBackend(addBackend(s, { name: 'master-2', address: '198.18.0.12', port: 6443 }), 'master-0'));
    expect(composed.version).toBe(4);
    expect(composed.backends.map((b) => b.name)).toEqual(['master-1', 'master-2']);
  });

  it('update() counts a change of the load-balancer settings, and publishes one version for it and the backends together', async () => {
    const sets = store.backendSets;
    const settings = loadBalancerConfig(planCluster(loadSpec(FIXTURE).spec, { authPass: 'x' }));
    const first = await sets.update('lbcfg', (s) => withLoadBalancerConfig(addBackend(s, m0), settings));
    expect(first.version).toBe(1);
    expect(first.loadBalancer).toEqual(settings);
    const unchanged = await sets.update('lbcfg', (s) => withLoadBalancerConfig(s, { ...settings }));
    expect(unchanged.version).toBe(1);
    const moved = await sets.update('lbcfg', (s) => withLoadBalancerConfig(s, { ...settings, port: 9443 }));
    expect(moved.version).toBe(2);
    expect(moved.loadBalancer?.port).toBe(9443);
    // Backend transitions keep the settings; both changing at once is still one version.
    const both = await sets.update('lbcfg', (s) => withLoadBalancerConfig(addBackend(s, m1), settings));
    expect(both.version).toBe(3);
    expect(both.loadBalancer).toEqual(settings);
    const drained = await sets.update('lbcfg', (s) => drainBackend(s, 'master-0'));
    expect(drained.version).toBe(4);
    expect(await sets.current('lbcfg')).toEqual(drained);
    expect(drained.loadBalancer).toEqual(settings);
  });

  it('refuses a stored set that belongs to another cluster', async () => {
    const foreign: BackendSet = withBackends(emptyBackendSet('other'), [m0]);
    await store.lbKv.put('victim', JSON.stringify(foreign));
    await expect(store.backendSets.get('victim')).rejects.toThrow(/holds the backend set of cluster "other"/);
  });
});

describe('durability', () => {
  it('keeps the state across a restart of the local server (JetStream file storage)', async () => {
    const prod = store.cluster('prod');
    await prod.nodes.put('master-7', { name: 'master-7', role: 'control-plane', joined: true });
    const lbBefore = await store.backendSets.current('lbtest');
    await nc.close();
    const port = nats.port;
    await nats.close();

    nats = await startLocalNats({ dataDir, clusterName: 'test', logger: silentLogger, port, stopGraceMs: 3000 });
    nc = await connect(nats);
    store = await StateStore.open(nc);
    expect((await store.cluster('prod').nodes.get('master-7'))?.value).toEqual({ name: 'master-7', role: 'control-plane', joined: true });
    expect(await store.backendSets.current('lbtest')).toEqual(lbBefore);
    // Monotonicity survives too: the next publish must still be exactly +1.
    await expect(store.backendSets.publish({ ...lbBefore, version: 1 })).rejects.toBeInstanceOf(StateConflictError);
  });
});
