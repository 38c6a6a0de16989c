import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotLeaderError } from '../../core/errors.js';
import { silentLogger } from '../../lib/log.js';
import { connectNats } from '../../lib/nats/connect.js';
import { startLocalNats, type LocalNats } from '../nats/server.js';
import { StateStore } from '../state/store.js';
import { LeaderLease } from './lease.js';

let dataDir: string;
let nats: LocalNats;
let nc: NatsConnection;
let store: StateStore;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'kha-lease-'));
  nats = await startLocalNats({ dataDir, clusterName: 'test', logger: silentLogger, stopGraceMs: 3000 });
  nc = await connectNats(nats, { name: 'lease-test', logger: silentLogger });
  store = await StateStore.open(nc);
}, 30_000);

afterAll(async () => {
  await nc?.close().catch(() => undefined);
  await nats?.close().catch(() => undefined);
  await rm(dataDir, { recursive: true, force: true });
});

/** The bucket as one coordinator sees it; `cut` makes every call fail as a partition from NATS would. */
function view(kv: KV): { kv: KV; cut: boolean } {
  const v = { cut: false, kv: undefined as unknown as KV };
  v.kv = new Proxy(kv, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) =>
        v.cut ? Promise.reject(new Error('TIMEOUT: cut off from NATS')) : (value as (...a: unknown[]) => unknown).apply(target, args);
    },
  });
  return v;
}

const instanceId = () => randomBytes(16).toString('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<number> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await sleep(10);
  }
  return Date.now() - start;
}

/** Samples both every 5 ms: the times both said they lead (there must be none). */
function watchOverlap(a: LeaderLease, b: LeaderLease): { stop(): number } {
  let overlaps = 0;
  const t = setInterval(() => {
    if (a.isLeader() && b.isLeader()) overlaps++;
  }, 5);
  return {
    stop() {
      clearInterval(t);
      return overlaps;
    },
  };
}

describe('leader lease (real nats-server KV)', () => {
  it('one leads, the other stands by naming it; a clean stop hands over at once with the next term', async () => {
    const a = new LeaderLease({ kv: store.stateKv, cluster: 'handover', self: '198.18.0.2:9443', instance: instanceId(), ttlMs: 2000, logger: silentLogger });
    const b = new LeaderLease({ kv: store.stateKv, cluster: 'handover', self: '198.18.0.3:9443', instance: instanceId(), ttlMs: 2000, logger: silentLogger });
    a.start();
    await a.firstRead();
    b.start();
    await b.firstRead();
    expect(a.isLeader()).toBe(true);
    expect(b.isLeader()).toBe(false);
    expect(b.leader()).toBe('198.18.0.2:9443');
    const refused = (() => {
      try {
        b.assertLeader('a state write');
      } catch (err) {
        return err;
      }
    })();
    expect(refused).toBeInstanceOf(NotLeaderError);
    expect((refused as NotLeaderError).leader).toBe('198.18.0.2:9443');
    // Renewals keep it: well past a TTL, still a's.
    await sleep(3000);
    expect(a.isLeader()).toBe(true);
    expect(b.isLeader()).toBe(false);
    const term = a.term();
    await a.stop();
    const took = await until('b leads after a released', () => b.isLeader(), 2000);
    expect(took).toBeLessThan(1000);
    expect(b.term()).toBe(term + 1);
    await b.stop();
  }, 20_000);

  it('a leader cut off from NATS fences itself before the standby takes over: never two at once', async () => {
    const av = view(store.stateKv);
    const a = new LeaderLease({ kv: av.kv, cluster: 'partition', self: '198.18.0.2:9443', instance: instanceId(), ttlMs: 2000, logger: silentLogger });
    const b = new LeaderLease({ kv: store.stateKv, cluster: 'partition', self: '198.18.0.3:9443', instance: instanceId(), ttlMs: 2000, logger: silentLogger });
    const events: string[] = [];
    a.on('fenced', () => events.push('a fenced'));
    b.on('elected', () => events.push('b elected'));
    a.start();
    await a.firstRead();
    b.start();
    await b.firstRead();
    expect(a.isLeader()).toBe(true);
    const overlap = watchOverlap(a, b);
    const cutAt = Date.now();
    av.cut = true;
    await until('a fenced', () => !a.isLeader(), 2000);
    const fencedAfter = Date.now() - cutAt;
    await until('b leads', () => b.isLeader(), 5000);
    const takenAfter = Date.now() - cutAt;
    expect(overlap.stop()).toBe(0);
    expect(events).toEqual(['a fenced', 'b elected']);
    // Fenced within half a TTL of its last renewal; taken over no earlier than a TTL after the last renewal it saw.
    expect(fencedAfter).toBeLessThanOrEqual(1000 + 100);
    expect(takenAfter).toBeGreaterThan(fencedAfter);
    // Back on NATS, a stays a standby behind b.
    av.cut = false;
    await sleep(1500);
    expect(a.isLeader()).toBe(false);
    expect(a.leader()).toBe('198.18.0.3:9443');
    await Promise.all([a.stop(), b.stop()]);
  }, 20_000);

  it('a leader killed without a word: the standby takes over one TTL after the last renewal it saw', async () => {
    const av = view(store.stateKv);
    const a = new LeaderLease({ kv: av.kv, cluster: 'killed', self: '198.18.0.2:9443', instance: instanceId(), ttlMs: 2000, logger: silentLogger });
    const b = new LeaderLease({ kv: store.stateKv, cluster: 'killed', self: '198.18.0.3:9443', instance: instanceId(), ttlMs: 2000, logger: silentLogger });
    a.start();
    await a.firstRead();
    b.start();
    await b.firstRead();
    await sleep(500);
    // SIGKILL as far as NATS can tell: nothing more from a (and nothing from it is looked at again).
    av.cut = true;
    a.removeAllListeners();
    const killedAt = Date.now();
    await until('b leads', () => b.isLeader(), 5000);
    const took = Date.now() - killedAt;
    // Between TTL minus one renewal interval (the last renewal came up to 400 ms before the kill) and TTL plus polling.
    expect(took).toBeGreaterThanOrEqual(2000 - 400 - 50);
    expect(took).toBeLessThan(2000 + 600);
    await Promise.all([a.stop(), b.stop()]);
  }, 20_000);

  it('two coordinators wrongly advertising one address are still two: the second waits for the TTL', async () => {
    const a = new LeaderLease({
      kv: store.stateKv,
      cluster: 'same-name',
      self: 'coordinators.example:9443',
      instance: instanceId(),
      ttlMs: 2000,
      logger: silentLogger,
    });
    const b = new LeaderLease({
      kv: store.stateKv,
      cluster: 'same-name',
      self: 'coordinators.example:9443',
      instance: instanceId(),
      ttlMs: 2000,
      logger: silentLogger,
    });
    a.start();
    await a.firstRead();
    b.start();
    await b.firstRead();
    const overlap = watchOverlap(a, b);
    await sleep(3000);
    expect(overlap.stop()).toBe(0);
    expect(a.isLeader()).toBe(true);
    expect(b.isLeader()).toBe(false);
    await Promise.all([a.stop(), b.stop()]);
  }, 20_000);

  it('the state store refuses writes from a coordinator that does not lead (the write guard)', async () => {
    const lease = new LeaderLease({
      kv: store.stateKv,
      cluster: 'guarded',
      self: '198.18.0.9:9443',
      instance: instanceId(),
      ttlMs: 2000,
      logger: silentLogger,
    });
    const other = new LeaderLease({
      kv: store.stateKv,
      cluster: 'guarded',
      self: '198.18.0.8:9443',
      instance: instanceId(),
      ttlMs: 2000,
      logger: silentLogger,
    });
    other.start();
    await other.firstRead();
    lease.start();
    await lease.firstRead();
    const guarded = await StateStore.open(nc, { writeGuard: () => lease.assertLeader('a state write') });
    const err = await guarded
      .cluster('guarded')
      .nodes.put('master-0', { name: 'master-0', role: 'control-plane', joined: false })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotLeaderError);
    expect(await guarded.cluster('guarded').nodes.get('master-0')).toBeUndefined();
    await Promise.all([lease.stop(), other.stop()]);
  }, 20_000);
});
