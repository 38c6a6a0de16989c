import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { createUser } from '@nats-io/nkeys';
import { errors, type NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { addBackend, emptyBackendSet, encodeBackendSet, removeBackend, withBackends, type BackendSet } from '../../core/backend-set.js';
import { silentLogger } from '../../lib/log.js';
import { connectNats } from '../../lib/nats/connect.js';
import { nkeyCredentials } from '../../lib/nats/credentials.js';
import { agentInboxPrefix } from '../../lib/nats/names.js';
import { StateStore, startLocalNats, type LocalNats } from '../../test/support/coordinator-side.js';
import { createBackendSetMailbox, type Backoff } from './backend-mailbox.js';
import { watchBackendSet, type BackendWatch, type BackendWatchOptions } from './backend-watch.js';

let dataDir: string;
let nats: LocalNats;
let coordinatorNc: NatsConnection;
let store: StateStore;
const agent = createUser();
const agentSeed = agent.getSeed();
/** An agent of another cluster, whose set nobody has published yet. */
const freshAgent = createUser();
const watches: { close(): Promise<void> }[] = [];
const extraConnections: NatsConnection[] = [];

async function openCoordinator(): Promise<void> {
  coordinatorNc = await connectNats(nats, { name: 'coordinator', logger: silentLogger, reconnectTimeWaitMs: 100, reconnectJitterMs: 50 });
  store = await StateStore.open(coordinatorNc);
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'kha-watch-'));
  nats = await startLocalNats({ dataDir, clusterName: 'test', logger: silentLogger, stopGraceMs: 3000, restartBackoff: { initialMs: 50, maxMs: 500 } });
  await nats.addAgentUser(agent.getPublicKey(), 'master-1', 'prod');
  await nats.addAgentUser(freshAgent.getPublicKey(), 'master-1', 'fresh');
  await openCoordinator();
  // Every test below may run alone: prod always has a set.
  await publishMore('prod', 1);
});

afterEach(async () => {
  for (const w of watches.splice(0)) await w.close();
  for (const nc of extraConnections.splice(0)) await nc.close().catch(() => undefined);
});

afterAll(async () => {
  await coordinatorNc?.close().catch(() => undefined);
  await nats?.close().catch(() => undefined);
  await rm(dataDir, { recursive: true, force: true });
});

function backend(i: number) {
  return { name: `master-${i}`, address: `198.18.${Math.floor(i / 200)}.${10 + (i % 200)}`, port: 6443 };
}

/** Publishes `count` more versions of `cluster`'s set through the coordinator's store; each one changes the set. */
async function publishMore(cluster: string, count: number): Promise<BackendSet> {
  let last = await store.backendSets.current(cluster);
  for (let i = 0; i < count; i++) {
    const n = last.version + 1;
    last = await store.backendSets.update(cluster, (s) => removeBackend(addBackend(s, backend(n)), `master-${n - 3}`));
  }
  return last;
}

interface Delivery {
  readonly version: number;
  readonly at: number;
}

/** What the agent's sets go through: the watch feeds the mailbox, which hands them to `onSet` one at a time. */
interface FollowOptions extends Omit<BackendWatchOptions, 'onSet'> {
  readonly onSet: (set: BackendSet) => Promise<void> | void;
  readonly appliedVersion?: number;
  readonly backoff?: Backoff;
}

interface Following {
  lastDelivered(): number | undefined;
  close(): Promise<void>;
}

function follow(opts: FollowOptions): Following {
  const { appliedVersion, backoff, logger } = opts;
  const mailbox = createBackendSetMailbox({ deliver: (set) => opts.onSet(set), appliedVersion, backoff, logger });
  const watch: BackendWatch = watchBackendSet({ ...opts, onSet: (set) => void mailbox.offer(set).catch(() => undefined), onDeleted: () => mailbox.forget() });
  return {
    lastDelivered: () => mailbox.lastDelivered(),
    async close() {
      await watch.close();
      await mailbox.close();
    },
  };
}

function startWatch(cluster: string, extra: Partial<FollowOptions> = {}): { deliveries: Delivery[]; sets: BackendSet[]; watch: Following } {
  const deliveries: Delivery[] = [];
  const sets: BackendSet[] = [];
  const watch = follow({
    url: nats.url,
    nkeySeed: agentSeed,
    cluster,
    logger: silentLogger,
    reconnectTimeWaitMs: 200,
    backoff: { initialMs: 50, maxMs: 500 },
    onSet: (set) => {
      sets.push(set);
      deliveries.push({ version: set.version, at: Date.now() });
    },
    ...extra,
  });
  watches.push(watch);
  return { deliveries, sets, watch };
}

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A TCP relay between the agent and nats-server that can be cut and restored: a network partition of one host. */
class Partition {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  readonly connectedAt: number[] = [];
  port = 0;

  constructor(private readonly targetPort: number) {}

  async open(): Promise<void> {
    const server = createServer((client) => {
      this.connectedAt.push(Date.now());
      const upstream = tcpConnect(this.targetPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe('watchBackendSet', () => {
  it('a watcher started after 3 publishes gets version 3 at once, and nothing older', async () => {
    expect((await store.backendSets.current('fresh')).version).toBe(0);
    await publishMore('fresh', 3);
    const startedAt = Date.now();
    const { deliveries, sets } = startWatch('fresh', { nkeySeed: freshAgent.getSeed() });
    await waitFor('first delivery', () => deliveries.length > 0);
    expect(deliveries[0]!.at - startedAt).toBeLessThan(1000);
    await sleep(200);
    expect(deliveries.map((d) => d.version)).toEqual([3]);
    expect(sets[0]).toEqual(await store.backendSets.current('fresh'));
  });

  it('delivers updates in increasing version order', async () => {
    const { deliveries } = startWatch('prod');
    await waitFor('initial', () => deliveries.length > 0);
    const latest = await publishMore('prod', 5);
    await waitFor('latest', () => deliveries.at(-1)?.version === latest.version);
    const versions = deliveries.map((d) => d.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(new Set(versions).size).toBe(versions.length);
    // Nothing was in flight, so every version arrived.
    expect(versions).toEqual(Array.from({ length: 6 }, (_, i) => latest.version - 5 + i));
  });

  it('applies only the newest of the sets that arrived while one was being applied', async () => {
    const before = await store.backendSets.current('prod');
    let inFlight = 0;
    let maxInFlight = 0;
    const { deliveries } = startWatch('prod', {
      onSet: async (set) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await sleep(300);
        deliveries.push({ version: set.version, at: Date.now() });
        inFlight--;
      },
    });
    await waitFor('first apply under way', () => inFlight === 1);
    const latest = await publishMore('prod', 3);
    await waitFor('latest', () => deliveries.at(-1)?.version === latest.version);
    expect(deliveries.map((d) => d.version)).toEqual([before.version, latest.version]);
    expect(maxInFlight).toBe(1);
  });

  it('skips versions not newer than the last delivered, invalid sets and sets of another cluster', async () => {
    const current = await publishMore('prod', 1);
    const { deliveries } = startWatch('prod', { appliedVersion: current.version - 1 });
    await waitFor('current', () => deliveries.at(-1)?.version === current.version);
    // Written behind the store's back, as a confused second writer would.
    await store.lbKv.put('prod', encodeBackendSet({ ...current, version: current.version - 1 }));
    await store.lbKv.put('prod', '{"garbage": true}');
    await store.lbKv.put('prod', encodeBackendSet(withBackends(emptyBackendSet('other'), [backend(1)])));
    await store.lbKv.put('prod', encodeBackendSet(current));
    const newer = { ...current, version: current.version + 10 };
    await store.lbKv.put('prod', encodeBackendSet(newer));
    await waitFor('newer', () => deliveries.at(-1)?.version === newer.version);
    expect(deliveries.map((d) => d.version)).toEqual([current.version, newer.version]);
    // Put the key back in store order for the following tests.
    await store.lbKv.put('prod', encodeBackendSet(newer));
  });

  it('starts from what was applied before: an already-applied version is not delivered again', async () => {
    const current = await store.backendSets.current('prod');
    const { deliveries } = startWatch('prod', { appliedVersion: current.version });
    await sleep(500);
    expect(deliveries).toEqual([]);
    const next = await publishMore('prod', 1);
    await waitFor('next', () => deliveries.at(-1)?.version === next.version);
  });

  it('retries a failing onSet until it succeeds, then moves on', async () => {
    let calls = 0;
    const applied: number[] = [];
    startWatch('prod', {
      onSet: (set) => {
        calls++;
        if (calls <= 2) throw new Error('haproxy -c failed');
        applied.push(set.version);
      },
    });
    const current = await store.backendSets.current('prod');
    await waitFor('applied after retries', () => applied.length > 0);
    expect(calls).toBe(3);
    expect(applied).toEqual([current.version]);
  });

  async function partitionDrill(opts: { expireConsumers: boolean }): Promise<void> {
    const partition = new Partition(nats.port);
    await partition.open();
    const deliveries: Delivery[] = [];
    const watch = follow({
      url: `nats://127.0.0.1:${partition.port}`,
      nkeySeed: agentSeed,
      cluster: 'prod',
      logger: silentLogger,
      reconnectTimeWaitMs: 200,
      backoff: { initialMs: 50, maxMs: 500 },
      onSet: (set) => void deliveries.push({ version: set.version, at: Date.now() }),
    });
    watches.push(watch);
    try {
      const before = await publishMore('prod', 1);
      await waitFor('initial', () => deliveries.at(-1)?.version === before.version);
      await partition.cut();
      const latest = await publishMore('prod', 2);
      if (opts.expireConsumers) {
        // What the server does to an ordered consumer whose client has been gone longer than its
        // inactive threshold (5 min): it deletes it.
        const jsm = await jetstreamManager(coordinatorNc);
        for await (const ci of jsm.consumers.list('KV_kha-lb')) await jsm.consumers.delete('KV_kha-lb', ci.name);
      }
      await sleep(700);
      expect(deliveries.at(-1)?.version).toBe(before.version);
      const connectionsBefore = partition.connectedAt.length;
      await partition.open();
      await waitFor('latest after reconnect', () => deliveries.at(-1)?.version === latest.version, 10_000);
      const reconnectedAt = partition.connectedAt[connectionsBefore]!;
      const delivered = deliveries.find((d) => d.version === latest.version)!;
      expect(delivered.at - reconnectedAt).toBeLessThan(1000);
      // The intermediate version is not replayed: the latest set is the whole truth.
      expect(deliveries.map((d) => d.version)).toEqual([before.version, latest.version]);
    } finally {
      await partition.cut();
    }
  }

  it('converges to the latest set within 1 s of reconnecting after missing 2 changes during a partition', async () => {
    await partitionDrill({ expireConsumers: false });
  });

  it('converges within 1 s of reconnecting even when the server dropped its consumer during a long partition', async () => {
    await partitionDrill({ expireConsumers: true });
  });

  it('converges after the server restarts, within 1 s of the watcher reconnecting', async () => {
    const lines: { msg: string; time: number }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as { msg: string; time: number });
        cb();
      },
    });
    const before = await publishMore('prod', 1);
    const { deliveries } = startWatch('prod', { logger: pino({ level: 'info' }, sink) });
    await waitFor('initial', () => deliveries.at(-1)?.version === before.version);

    const port = nats.port;
    await coordinatorNc.close();
    await nats.close();
    nats = await startLocalNats({ dataDir, clusterName: 'test', logger: silentLogger, port, stopGraceMs: 3000, restartBackoff: { initialMs: 50, maxMs: 500 } });
    await openCoordinator();
    const latest = await publishMore('prod', 2);
    await waitFor('latest after restart', () => deliveries.at(-1)?.version === latest.version, 15_000);
    const reconnect = lines.find((l) => l.msg === 'reconnected to NATS');
    expect(reconnect).toBeDefined();
    const delivered = deliveries.find((d) => d.version === latest.version)!;
    // Either the changes came after the reconnect (live) or before (fresh watch); both within 1 s of it.
    expect(delivered.at - reconnect!.time).toBeLessThan(1000);
  });

  it('close() waits for a set being applied and delivers nothing afterwards', async () => {
    const current = await store.backendSets.current('prod');
    let finished = false;
    let started = false;
    const { watch } = startWatch('prod', {
      onSet: async () => {
        started = true;
        await sleep(300);
        finished = true;
      },
    });
    await waitFor('apply started', () => started);
    await watch.close();
    expect(finished).toBe(true);
    expect(watch.lastDelivered()).toBe(current.version);
  });

  it('close() stops deliveries and the connection', async () => {
    const { deliveries, watch } = startWatch('prod');
    const current = await store.backendSets.current('prod');
    await waitFor('initial', () => deliveries.at(-1)?.version === current.version);
    await watch.close();
    expect(watch.lastDelivered()).toBe(current.version);
    await publishMore('prod', 1);
    await sleep(300);
    expect(deliveries.at(-1)?.version).toBe(current.version);
    const connz = (await (await fetch(`${nats.monitorUrl}/connz?auth=true`)).json()) as { connections: { authorized_user?: string }[] };
    expect(connz.connections.filter((c) => c.authorized_user === agent.getPublicKey())).toEqual([]);
  });

  it('keeps retrying while the agent is not allowed in, and watches once it is', async () => {
    const late = createUser();
    const deliveries: number[] = [];
    const watch = follow({
      url: nats.url,
      nkeySeed: late.getSeed(),
      cluster: 'prod',
      logger: silentLogger,
      backoff: { initialMs: 50, maxMs: 200 },
      onSet: (set) => void deliveries.push(set.version),
    });
    watches.push(watch);
    await sleep(500);
    expect(deliveries).toEqual([]);
    await nats.addAgentUser(late.getPublicKey(), 'master-2', 'prod');
    const current = await store.backendSets.current('prod');
    await waitFor('delivery after being allowed', () => deliveries.at(-1) === current.version, 10_000);
  });
});

describe('agent NATS permissions', () => {
  async function agentConnection(): Promise<NatsConnection> {
    const nc = await connectNats(
      { url: nats.url, credentials: nkeyCredentials(agentSeed) },
      { name: 'agent-permissions', logger: silentLogger, inboxPrefix: agentInboxPrefix(agent.getPublicKey()) },
    );
    extraConnections.push(nc);
    return nc;
  }

  /** Requests come back as a RequestError whose cause is the server's permissions violation. */
  async function expectRefused(attempt: Promise<unknown>): Promise<void> {
    const err = await attempt.then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err, 'the server should have refused this').toBeDefined();
    const violation = err instanceof errors.PermissionViolationError ? err : err?.cause;
    expect(violation).toBeInstanceOf(errors.PermissionViolationError);
  }

  it('can read its cluster backend set with KV get and watch', async () => {
    const nc = await agentConnection();
    const kv = await new Kvm(nc).open('kha-lb', { allow_direct: true });
    const current = await store.backendSets.current('prod');
    expect((await kv.get('prod'))?.string()).toBe(encodeBackendSet(current));
    const iter = await kv.watch({ key: 'prod' });
    for await (const e of iter) {
      expect(e.string()).toBe(encodeBackendSet(current));
      break;
    }
  });

  it('cannot write a backend set: the server refuses the publish', async () => {
    const nc = await agentConnection();
    const kv = await new Kvm(nc).open('kha-lb', { allow_direct: true });
    const current = await store.backendSets.current('prod');
    const evil = addBackend(current, { name: 'evil', address: '198.18.99.99', port: 6443 });
    const put = kv.put('prod', encodeBackendSet(evil));
    await expectRefused(put);
    await expect(put).rejects.toThrow(/Permissions Violation for Publish to "\$KV\.kha-lb\.prod"/);
    // A raw publish (no reply) is refused as well, and the stored set is untouched.
    nc.publish('$KV.kha-lb.prod', encodeBackendSet(evil));
    await nc.flush();
    expect(await store.backendSets.current('prod')).toEqual(current);
  });

  it('cannot read kha-state, nor another cluster backend set', async () => {
    await store.cluster('prod').nodes.put('master-0', { name: 'master-0', role: 'control-plane', joined: true });
    await store.backendSets.update('other', (s) => addBackend(s, backend(1)));
    const nc = await agentConnection();
    const kvm = new Kvm(nc);
    const state = await kvm.open('kha-state', { allow_direct: true });
    await expectRefused(state.get('clusters.prod.nodes.master-0'));
    const stateNoDirect = await kvm.open('kha-state');
    await expectRefused(stateNoDirect.get('clusters.prod.nodes.master-0'));
    await expectRefused(state.watch({ key: 'clusters.>' }));
    const lb = await kvm.open('kha-lb', { allow_direct: true });
    await expectRefused(lb.get('other'));
    await expectRefused(lb.watch({ key: 'other' }));
    await expectRefused(lb.watch());
    // Plain subscriptions outside its inbox are refused too.
    const sub = nc.subscribe('$KV.kha-lb.>');
    const subErr = await (async () => {
      try {
        for await (const _m of sub) break;
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(subErr).toBeInstanceOf(errors.PermissionViolationError);
  });

  it('cannot turn a consumer on its own key into a writer of other subjects', async () => {
    await store.cluster('prod').nodes.put('master-0', { name: 'master-0', role: 'control-plane', joined: true });
    const otherBefore = await publishMore('other', 1);
    const stateBefore = await store.stateKv.status();
    const nc = await agentConnection();
    for (const [name, deliver] of [
      ['hijack0', '$KV.kha-state.clusters.prod.spec'],
      ['hijack1', '$JS.API.STREAM.PURGE.KV_kha-state'],
      ['hijack2', '$KV.kha-lb.other'],
    ] as const) {
      const request = {
        stream_name: 'KV_kha-lb',
        config: { name, deliver_subject: deliver, ack_policy: 'none', deliver_policy: 'last_per_subject', filter_subject: '$KV.kha-lb.prod' },
      };
      await nc.request(`$JS.API.CONSUMER.CREATE.KV_kha-lb.${name}.$KV.kha-lb.prod`, JSON.stringify(request), { timeout: 2000 }).catch(() => undefined);
    }
    // Give any delivery a chance, with a live subscriber on the targets, then check nothing moved.
    const spy = coordinatorNc.subscribe('$KV.kha-state.>');
    await publishMore('prod', 1);
    await sleep(500);
    spy.unsubscribe();
    const stateAfter = await store.stateKv.status();
    expect(stateAfter.values).toBe(stateBefore.values);
    expect(await store.backendSets.current('other')).toEqual(otherBefore);
    const jsm = await jetstreamManager(coordinatorNc);
    for (const name of ['hijack0', 'hijack1', 'hijack2']) await jsm.consumers.delete('KV_kha-lb', name).catch(() => undefined);
  });

  it('cannot create a consumer whose filter differs from the key its grant names', async () => {
    const nc = await agentConnection();
    const inbox = `${agentInboxPrefix(agent.getPublicKey())}.sneaky`;
    const request = {
      stream_name: 'KV_kha-lb',
      config: { name: 'sneaky', deliver_subject: inbox, ack_policy: 'none', deliver_policy: 'all', filter_subject: '$KV.kha-lb.other' },
    };
    const reply = await nc.request('$JS.API.CONSUMER.CREATE.KV_kha-lb.sneaky.$KV.kha-lb.prod', JSON.stringify(request), { timeout: 2000 });
    expect(reply.string()).toMatch(/did not match filtered subject/);
  });
});
