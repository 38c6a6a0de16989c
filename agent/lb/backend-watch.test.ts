import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { AckPolicy, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { createUser } from '@nats-io/nkeys';
import { errors, type NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { addBackend, emptyBackendSet, encodeBackendSet, removeBackend, withBackends, type BackendSet } from '../../core/backend-set.js';
import { silentLogger, type Logger } from '../../lib/log.js';
import { connectNats } from '../../lib/nats/connect.js';
import { nkeyPublicKeyOf } from '../../lib/nats/credentials.js';
import { agentInboxPrefix } from '../../lib/nats/names.js';
import {
  StateStore,
  ensureNatsServerCert,
  loadOrCreateCa,
  startLocalNats,
  type CertificateAuthority,
  type LocalNats,
} from '../../test/support/coordinator-side.js';
import { natsTlsFor } from '../identity.js';
import { createBackendSetMailbox, type Backoff } from './backend-mailbox.js';
import { watchBackendSet, type BackendWatch, type BackendWatchOptions } from './backend-watch.js';

let dataDir: string;
/** The coordinator CA: it issued the embedded server's certificate, and agents pin it. */
let ca: CertificateAuthority;
let nats: LocalNats;
let coordinatorNc: NatsConnection;
let store: StateStore;
const agent = createUser();
const agentSeed = agent.getSeed();
/** An agent of another cluster, whose set nobody has published yet. */
const freshAgent = createUser();
/** An agent of a cluster whose key gets deleted. */
const goneAgent = createUser();
const watches: { close(): Promise<void> }[] = [];
/** User JWTs the embedded server's account issued, by user public key: what each agent got at registration. */
const jwts = new Map<string, string>();

/** Lets an agent in, as a registration does: the coordinator issues a user JWT for its key. */
async function allow(user: ReturnType<typeof createUser>, name: string, cluster: string, server: () => LocalNats = () => nats): Promise<string> {
  const jwt = await server().issueAgentJwt(user.getPublicKey(), name, cluster);
  jwts.set(user.getPublicKey(), jwt);
  return jwt;
}
const extraConnections: NatsConnection[] = [];

async function openCoordinator(): Promise<void> {
  coordinatorNc = await connectNats(nats, { name: 'coordinator', logger: silentLogger, reconnectTimeWaitMs: 100, reconnectJitterMs: 50 });
  store = await StateStore.open(coordinatorNc);
}

/** The embedded server as the coordinator runs it: TLS with a certificate from the coordinator CA. */
async function startEmbedded(port?: number): Promise<LocalNats> {
  const cert = await ensureNatsServerCert(ca, join(dataDir, 'nats'), '127.0.0.1');
  return startLocalNats({
    dataDir,
    clusterName: 'test',
    logger: silentLogger,
    stopGraceMs: 3000,
    restartBackoff: { initialMs: 50, maxMs: 500 },
    tls: cert.server,
    clientTls: cert.client,
    ...(port ? { port } : {}),
  });
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'kha-watch-'));
  ca = await loadOrCreateCa(join(dataDir, 'pki'));
  nats = await startEmbedded();
  await allow(agent, 'master-1', 'prod');
  await allow(freshAgent, 'master-1', 'fresh');
  await allow(goneAgent, 'master-1', 'gone');
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
  const watch: BackendWatch = watchBackendSet({
    // The JWT issued for this seed's key, if any yet: read at every connect, as the agent reads its stored one.
    userJwt: () => jwts.get(nkeyPublicKeyOf(opts.nkeySeed)),
    ...opts,
    onSet: (set) => void mailbox.offer(set).catch(() => undefined),
    onDeleted: () => {
      mailbox.forget();
      opts.onDeleted?.();
    },
  });
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
    tls: { ca: ca.certPem },
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

  async function consumersOnLbStream(): Promise<string[]> {
    const jsm = await jetstreamManager(coordinatorNc);
    const names: string[] = [];
    for await (const ci of jsm.consumers.list('KV_kha-lb')) names.push(ci.name);
    return names;
  }

  async function partitionDrill(opts: { checkNoConsumers: boolean }): Promise<void> {
    const partition = new Partition(nats.port);
    await partition.open();
    const deliveries: Delivery[] = [];
    const watch = follow({
      url: `tls://127.0.0.1:${partition.port}`,
      tls: { ca: ca.certPem },
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
      if (opts.checkNoConsumers) {
        // The agent follows with a core subscription and direct gets: nothing of it lives on the server, so nothing
        // can be lost during a long partition (the server used to expire an ordered consumer after 5 min).
        expect(await consumersOnLbStream()).toEqual([]);
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
      if (opts.checkNoConsumers) expect(await consumersOnLbStream()).toEqual([]);
    } finally {
      await partition.cut();
    }
  }

  it('converges to the latest set within 1 s of reconnecting after missing 2 changes during a partition', async () => {
    await partitionDrill({ checkNoConsumers: false });
  });

  it('converges within 1 s of reconnecting after a partition without any consumer on the server, before or after', async () => {
    await partitionDrill({ checkNoConsumers: true });
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
    nats = await startEmbedded(port);
    await openCoordinator();
    const latest = await publishMore('prod', 2);
    await waitFor('latest after restart', () => deliveries.at(-1)?.version === latest.version, 15_000);
    const reconnect = lines.find((l) => l.msg === 'reconnected to NATS');
    expect(reconnect).toBeDefined();
    const delivered = deliveries.find((d) => d.version === latest.version)!;
    // Either the changes came after the reconnect (live) or before (fresh watch); both within 1 s of it.
    expect(delivered.at - reconnect!.time).toBeLessThan(1000);
  });

  it('passes a delete on, then takes the next set even when its version restarts from 1', async () => {
    const first = await publishMore('gone', 2);
    let deleted = 0;
    const { deliveries } = startWatch('gone', { nkeySeed: goneAgent.getSeed(), onDeleted: () => void deleted++ });
    await waitFor('initial', () => deliveries.at(-1)?.version === first.version);
    await store.lbKv.delete('gone');
    await waitFor('delete seen', () => deleted > 0);
    // The store starts again from the empty set: version 1, older than what was applied, yet taken.
    const restarted = await publishMore('gone', 1);
    expect(restarted.version).toBe(1);
    await waitFor('restarted set', () => deliveries.at(-1)?.version === 1);
    expect(deliveries.map((d) => d.version)).toEqual([first.version, 1]);
    // A purge is a delete too.
    await store.lbKv.purge('gone');
    await waitFor('purge seen', () => deleted > 1);
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
      tls: { ca: ca.certPem },
      nkeySeed: late.getSeed(),
      cluster: 'prod',
      logger: silentLogger,
      backoff: { initialMs: 50, maxMs: 200 },
      onSet: (set) => void deliveries.push(set.version),
    });
    watches.push(watch);
    await sleep(500);
    expect(deliveries).toEqual([]);
    await allow(late, 'master-2', 'prod');
    const current = await store.backendSets.current('prod');
    await waitFor('delivery after being allowed', () => deliveries.at(-1) === current.version, 10_000);
  });
});

describe('agent NATS permissions', () => {
  async function agentConnection(): Promise<NatsConnection> {
    const nc = await connectNats(
      { url: nats.url, credentials: { kind: 'jwt', jwt: () => jwts.get(agent.getPublicKey())!, seed: agentSeed }, tls: { ca: ca.certPem } },
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

  /** A subscription the server refuses ends with a PermissionViolationError. */
  async function subscriptionError(nc: NatsConnection, subject: string): Promise<Error | undefined> {
    const sub = nc.subscribe(subject);
    try {
      for await (const _m of sub) break;
    } catch (e) {
      return e as Error;
    }
    return undefined;
  }

  it('can read its cluster backend set with a direct get and a subscription on its key, but not with a KV watch', async () => {
    const nc = await agentConnection();
    const current = await store.backendSets.current('prod');
    const direct = (await jetstreamManager(nc, { checkAPI: false })).direct;
    const stored = await direct.getMessage('KV_kha-lb', { last_by_subj: '$KV.kha-lb.prod' });
    expect(stored?.string()).toBe(encodeBackendSet(current));
    expect(stored?.subject).toBe('$KV.kha-lb.prod');
    expect(stored?.header.get('Nats-Sequence')).toMatch(/^\d+$/);
    // Also through KV get, which asks the same direct-get subject.
    const kv = await new Kvm(nc).open('kha-lb', { allow_direct: true });
    expect((await kv.get('prod'))?.string()).toBe(encodeBackendSet(current));
    // A live change arrives on the key's own subject, as the coordinator published it.
    const live = nc.subscribe('$KV.kha-lb.prod', { max: 1 });
    await nc.flush();
    const next = await publishMore('prod', 1);
    for await (const m of live) expect(m.string()).toBe(encodeBackendSet(next));
    // A KV watch needs a consumer, which agents may not create.
    await expectRefused(kv.watch({ key: 'prod' }));
  });

  it('cannot create a durable nor an ephemeral consumer, by any API subject; none is left on the server', async () => {
    const nc = await agentConnection();
    const jsm = await jetstreamManager(nc, { checkAPI: false });
    const filter = '$KV.kha-lb.prod';
    const deliver = `${agentInboxPrefix(agent.getPublicKey())}.push`;
    // Through nats.js: a durable pull consumer and an ephemeral push consumer on the agent's own key.
    await expectRefused(jsm.consumers.add('KV_kha-lb', { durable_name: 'agent-durable', filter_subject: filter, ack_policy: AckPolicy.None }));
    await expectRefused(jsm.consumers.add('KV_kha-lb', { deliver_subject: deliver, filter_subject: filter, ack_policy: AckPolicy.None }));
    // Every request subject the server takes a consumer creation on (2.9 and later), named, durable and ephemeral.
    const config = (name?: string) =>
      JSON.stringify({
        stream_name: 'KV_kha-lb',
        config: { ...(name ? { name, durable_name: name } : {}), filter_subject: filter, ack_policy: 'none', deliver_subject: deliver },
      });
    for (const [subject, body] of [
      [`$JS.API.CONSUMER.CREATE.KV_kha-lb.d1.${filter}`, config('d1')],
      ['$JS.API.CONSUMER.CREATE.KV_kha-lb.d2', config('d2')],
      ['$JS.API.CONSUMER.DURABLE.CREATE.KV_kha-lb.d3', config('d3')],
      ['$JS.API.CONSUMER.CREATE.KV_kha-lb', config()],
    ] as const) {
      await expectRefused(nc.request(subject, body, { timeout: 2000 }));
    }
    const names: string[] = [];
    for await (const ci of (await jetstreamManager(coordinatorNc)).consumers.list('KV_kha-lb')) names.push(ci.name);
    expect(names).toEqual([]);
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
    // Plain subscriptions outside its key and its inbox are refused too.
    expect(await subscriptionError(nc, '$KV.kha-lb.>')).toBeInstanceOf(errors.PermissionViolationError);
    expect(await subscriptionError(await agentConnection(), '$KV.kha-lb.other')).toBeInstanceOf(errors.PermissionViolationError);
    expect(await subscriptionError(await agentConnection(), '$KV.kha-state.>')).toBeInstanceOf(errors.PermissionViolationError);
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
      await expectRefused(nc.request(`$JS.API.CONSUMER.CREATE.KV_kha-lb.${name}.$KV.kha-lb.prod`, JSON.stringify(request), { timeout: 2000 }));
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

  it('cannot aim a direct get reply at a subject the server would store: no state, no other set, no new revision of its own', async () => {
    await store.cluster('prod').nodes.put('master-0', { name: 'master-0', role: 'control-plane', joined: true });
    const otherBefore = await publishMore('other', 1);
    const prodBefore = await store.backendSets.current('prod');
    const jsm = await jetstreamManager(coordinatorNc);
    const lbBefore = await jsm.streams.info('KV_kha-lb');
    const stateBefore = await store.stateKv.status();
    const nc = await agentConnection();
    // The stream answers a direct get from its own internal client, to whatever reply subject the request carried: a
    // reply aimed at a stored subject would be stored, and one aimed at the JetStream API would be a request.
    for (const reply of ['$KV.kha-state.clusters.prod.spec', '$JS.API.STREAM.PURGE.KV_kha-state', '$KV.kha-lb.other', '$KV.kha-lb.prod']) {
      for (const body of ['', JSON.stringify({ seq: 1 })]) nc.publish('$JS.API.DIRECT.GET.KV_kha-lb.$KV.kha-lb.prod', body, { reply });
    }
    await nc.flush();
    await sleep(500);
    expect((await store.stateKv.status()).values).toBe(stateBefore.values);
    expect((await store.cluster('prod').nodes.get('master-0'))?.value).toMatchObject({ name: 'master-0', joined: true });
    expect(await store.backendSets.current('other')).toEqual(otherBefore);
    expect(await store.backendSets.current('prod')).toEqual(prodBefore);
    expect((await jsm.streams.info('KV_kha-lb')).state.last_seq).toBe(lbBefore.state.last_seq);
  });

  it('cannot create a consumer whose filter differs from its key either', async () => {
    const nc = await agentConnection();
    const inbox = `${agentInboxPrefix(agent.getPublicKey())}.sneaky`;
    const request = {
      stream_name: 'KV_kha-lb',
      config: { name: 'sneaky', deliver_subject: inbox, ack_policy: 'none', deliver_policy: 'all', filter_subject: '$KV.kha-lb.other' },
    };
    await expectRefused(nc.request('$JS.API.CONSUMER.CREATE.KV_kha-lb.sneaky.$KV.kha-lb.prod', JSON.stringify(request), { timeout: 2000 }));
  });

  it('cannot read another key through its own direct-get subject by adding a request body', async () => {
    const other = await publishMore('other', 1);
    const nc = await agentConnection();
    const otherSeq = (await (await jetstreamManager(coordinatorNc)).direct.getMessage('KV_kha-lb', { last_by_subj: '$KV.kha-lb.other' }))!.seq;
    for (const body of [{ seq: otherSeq }, { last_by_subj: '$KV.kha-lb.other' }, { next_by_subj: '$KV.kha-lb.other', seq: 1 }]) {
      const reply = await nc.request('$JS.API.DIRECT.GET.KV_kha-lb.$KV.kha-lb.prod', JSON.stringify(body), { timeout: 2000 });
      expect(reply.string()).not.toBe(encodeBackendSet(other));
      expect(reply.headers?.get('Nats-Subject') ?? '').not.toBe('$KV.kha-lb.other');
    }
  });
});

describe('a NATS server this agent does not trust (a host on the path posing as the coordinator)', () => {
  interface Forged {
    readonly nats: LocalNats;
    readonly set: BackendSet;
    /** The user JWT this server issued for the agent key. */
    readonly agentJwt: string;
    close(): Promise<void>;
  }

  /**
   * A second nats-server on loopback run by "the attacker": the agent's user is allowed, and it holds a valid-looking
   * set for the agent's cluster, far ahead of the real one, that sends the apiserver traffic elsewhere.
   */
  async function forgedServer(tls: 'other-ca' | 'plaintext'): Promise<Forged> {
    const dir = await mkdtemp(join(tmpdir(), 'kha-forged-'));
    const otherCa = await loadOrCreateCa(join(dir, 'pki'), { commonName: 'kubeadm-ha-ca' });
    const cert = tls === 'other-ca' ? await ensureNatsServerCert(otherCa, join(dir, 'nats'), '127.0.0.1') : undefined;
    const forged = await startLocalNats({
      dataDir: dir,
      clusterName: 'forged',
      logger: silentLogger,
      stopGraceMs: 3000,
      ...(cert ? { tls: cert.server, clientTls: cert.client } : {}),
    });
    const agentJwt = await forged.issueAgentJwt(agent.getPublicKey(), 'master-1', 'prod');
    const nc = await connectNats(forged, { name: 'attacker', logger: silentLogger });
    const forgedStore = await StateStore.open(nc);
    let set = await forgedStore.backendSets.current('prod');
    for (let i = 0; i < 3; i++)
      set = await forgedStore.backendSets.update('prod', (s) => addBackend(s, { name: `evil-${i}`, address: `198.18.66.${i + 1}`, port: 6443 }));
    await forgedStore.lbKv.put('prod', encodeBackendSet({ ...set, version: 1_000_000 }));
    return {
      nats: forged,
      set: { ...set, version: 1_000_000 },
      agentJwt,
      async close() {
        await nc.close().catch(() => undefined);
        await forged.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  }

  function logged(): { lines: Record<string, unknown>[]; logger: Logger } {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
        cb();
      },
    });
    return { lines, logger: pino({ level: 'info' }, sink) };
  }

  for (const kind of ['other-ca', 'plaintext'] as const) {
    it(`never takes a set from a ${kind === 'other-ca' ? 'TLS server with a certificate from another CA' : 'plaintext server'} at the address the coordinator gave, and logs why`, async () => {
      const forged = await forgedServer(kind);
      try {
        // What the agent holds after registering with the real coordinator: its pinned CA and a tls:// URL; the
        // attacker answers at that address.
        const registration = { natsUrl: `tls://127.0.0.1:${forged.nats.port}`, caPem: ca.certPem };
        const { lines, logger } = logged();
        const { deliveries } = startWatch('prod', { url: registration.natsUrl, tls: natsTlsFor(registration), logger });
        await waitFor('a refusal in the log', () => lines.find((l) => String(l.msg).startsWith('refusing the NATS server')), 10_000);
        await sleep(500);
        expect(deliveries).toEqual([]);
        const refusal = lines.find((l) => String(l.msg).startsWith('refusing the NATS server'))!;
        expect(refusal.level).toBe(50);
        expect(String(refusal.reason)).toMatch(kind === 'other-ca' ? /certificate does not verify against the trusted CA/ : /does not speak TLS/);
        // Nobody but the real coordinator's server ever authenticated the agent.
        const connz = (await (await fetch(`${forged.nats.monitorUrl}/connz?auth=true`)).json()) as { connections: { authorized_user?: string }[] };
        expect(connz.connections.filter((c) => c.authorized_user === agent.getPublicKey())).toEqual([]);
      } finally {
        await forged.close();
      }
    });
  }

  it('takes the same set when the registration names that server CA (an external NATS cluster, --nats-ca): the refusal above is about trust', async () => {
    const forged = await forgedServer('other-ca');
    try {
      const externalCa = (await readFile(join(forged.nats.configPath, '..', 'nats-server.crt'), 'utf8')).split(/(?<=-----END CERTIFICATE-----\n)/)[1]!;
      const registration = { natsUrl: forged.nats.url, caPem: ca.certPem, natsCaPem: externalCa };
      expect(natsTlsFor(registration)).toEqual({ ca: externalCa });
      // With the user JWT that server's own account issued for the agent's key, as its Register answer would carry.
      const { deliveries, sets } = startWatch('prod', { url: registration.natsUrl, tls: natsTlsFor(registration), userJwt: () => forged.agentJwt });
      await waitFor('the set', () => deliveries.at(-1)?.version === forged.set.version);
      expect(sets.at(-1)?.backends.map((b) => b.name)).toEqual(forged.set.backends.map((b) => b.name));
    } finally {
      await forged.close();
    }
  });
});
