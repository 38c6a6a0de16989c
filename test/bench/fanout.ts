/**
 * Fan-out: one coordinator publishes 20 successive backend changes (BackendSetStore.publish, as the coordinator does)
 * to 1000 agents subscribed on the real NATS protocol against one real nats-server. Each agent is the production
 * watch (agent/lb/backend-watch.ts watchBackendSet) feeding the production mailbox (agent/lb/backend-mailbox.ts), with
 * its own nkey user, let in the way registration lets it in (a user JWT signed for its key; no server change),
 * and each renders haproxy.cfg in memory from every set it is handed (renderBackendSetConfig), without `haproxy -c`.
 * All 1000 run in this one process: 1000 separate NATS connections, each with its own KV watch (an ordered consumer),
 * so the server side is the real load of 1000 agents; the client side shares one event loop, which makes the figures
 * pessimistic rather than flattering.
 *
 * Reported: p50/p99/max of publish → applied per agent and change, and per change the time until all 1000 applied it.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUser } from '@nats-io/nkeys';
import { createBackendSetMailbox } from '../../agent/lb/backend-mailbox.js';
import { watchBackendSet } from '../../agent/lb/backend-watch.js';
import { nextBackendSet, withBackends, type BackendInput, type BackendSet } from '../../core/backend-set.js';
import { planCluster } from '../../core/plan.js';
import { loadBalancerConfig, renderBackendSetConfig } from '../../core/render/haproxy.js';
import { loadSpec } from '../../core/validate.js';
import { startLocalNats } from '../../coordinator/nats/server.js';
import { ensureNatsServerCert } from '../../coordinator/nats/tls.js';
import { loadOrCreateCa } from '../../coordinator/pki/ca.js';
import { StateStore } from '../../coordinator/state/store.js';
import { connectNats } from '../../lib/nats/connect.js';
import { silentLogger } from '../../lib/log.js';
import { REPO_ROOT } from '../kubeadm-sim/testing.js';
import { runWhenEntry, type BenchResult } from './result.js';

const AGENTS = Number(process.env.KHA_FANOUT_AGENTS ?? 1000);
const CHANGES = 20;
const CLUSTER = 'fanout';
/** Agents connect in waves so the server's connection handling is not the thing measured. */
const CONNECT_WAVE = 100;
const CHANGE_TIMEOUT_MS = 30_000;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

/** Three to five apiservers, changing one at a time: adds, drains and removals as membership changes produce. */
function backendsFor(change: number): BackendInput[] {
  const list: BackendInput[] = [0, 1, 2].map((i) => ({ name: `master-${i}`, address: `198.18.0.${11 + i}`, port: 6443 }));
  if (change % 4 === 1 || change % 4 === 2)
    list.push({ name: 'master-3', address: '198.18.0.14', port: 6443, state: change % 4 === 2 ? 'draining' : 'active' });
  if (change % 2 === 1) list.push({ name: 'master-4', address: '198.18.0.15', port: 6443 });
  return list;
}

export async function benchFanout(): Promise<BenchResult> {
  const dataDir = await mkdtemp(join(tmpdir(), 'kha-fanout-'));
  // As the coordinator runs it: TLS with a certificate from its CA, which every agent verifies.
  const ca = await loadOrCreateCa(join(dataDir, 'pki'));
  const cert = await ensureNatsServerCert(ca, join(dataDir, 'nats'), '127.0.0.1', { logger: silentLogger });
  const nats = await startLocalNats({ dataDir, clusterName: CLUSTER, logger: silentLogger, tls: cert.server, clientTls: cert.client });
  const watches: { close(): Promise<void> }[] = [];
  try {
    const nc = await connectNats(nats, { name: 'fanout coordinator', logger: silentLogger });
    const store = await StateStore.open(nc);
    const spec = loadSpec(readFileSync(join(REPO_ROOT, 'test/fixtures/cluster.yaml'), 'utf8').replace(/^(\s*name:\s*)\S+$/m, `$1${CLUSTER}`)).spec;
    const plan = planCluster({ ...spec, name: CLUSTER });
    let current = await store.backendSets.current(CLUSTER);
    // One version after the stored one, with both the backends and the LB settings (each helper alone bumps it).
    current = nextBackendSet(current, { ...withBackends(current, backendsFor(0)), loadBalancer: loadBalancerConfig(plan) });
    await store.backendSets.publish(current);

    const users = Array.from({ length: AGENTS }, () => createUser());
    // As Register does: the coordinator's account signs a user JWT for each agent's key; the server is not touched.
    const jwts = await Promise.all(users.map((u, i) => nats.issueAgentJwt(u.getPublicKey(), `agent-${i}`, CLUSTER)));

    // applied[agent] = newest version rendered; publishedAt[version] = when the coordinator called publish.
    const applied = new Int32Array(AGENTS);
    const publishedAt = new Map<number, number>();
    const latencies: number[] = [];
    const allAppliedMs: number[] = [];
    let waiting: { version: number; left: number; resolve: () => void } | undefined;
    let renderedBytes = 0;

    const onSet = (agent: number) => (set: BackendSet) => {
      renderedBytes += renderBackendSetConfig(set).length;
      const at = publishedAt.get(set.version);
      if (at !== undefined) latencies.push(performance.now() - at);
      const before = applied[agent]!;
      applied[agent] = set.version;
      if (waiting && before < waiting.version && set.version >= waiting.version && --waiting.left === 0) waiting.resolve();
    };
    const allAt = (version: number) =>
      new Promise<void>((resolveAll, reject) => {
        const left = applied.filter((v) => v < version).length;
        if (left === 0) return resolveAll();
        const timer = setTimeout(
          () => reject(new Error(`${waiting?.left} of ${AGENTS} agents did not apply v${version} within ${CHANGE_TIMEOUT_MS} ms`)),
          CHANGE_TIMEOUT_MS,
        );
        waiting = {
          version,
          left,
          resolve: () => {
            clearTimeout(timer);
            waiting = undefined;
            resolveAll();
          },
        };
      });

    const connectStart = performance.now();
    for (let i = 0; i < AGENTS; i++) {
      const mailbox = createBackendSetMailbox({ deliver: onSet(i), logger: silentLogger });
      const watch = watchBackendSet({
        url: nats.url,
        tls: { ca: ca.certPem },
        nkeySeed: users[i]!.getSeed(),
        userJwt: () => jwts[i],
        cluster: CLUSTER,
        name: `agent-${i}`,
        logger: silentLogger,
        onSet: (set) => void mailbox.offer(set).catch(() => undefined),
        resyncIntervalMs: 3_600_000,
      });
      watches.push({
        async close() {
          await watch.close();
          await mailbox.close();
        },
      });
      if ((i + 1) % CONNECT_WAVE === 0) await allAt(current.version).catch(() => undefined);
    }
    await allAt(current.version);
    const connectMs = performance.now() - connectStart;

    for (let change = 1; change <= CHANGES; change++) {
      const next = withBackends(current, backendsFor(change));
      const done = allAt(next.version);
      publishedAt.set(next.version, performance.now());
      await store.backendSets.publish(next);
      await done;
      allAppliedMs.push(performance.now() - publishedAt.get(next.version)!);
      current = next;
    }
    await nc.close();

    latencies.sort((a, b) => a - b);
    allAppliedMs.sort((a, b) => a - b);
    return {
      name: `fanout (${AGENTS} agents, ${CHANGES} changes, one nats-server, ${AGENTS} NATS connections in one process)`,
      rows: [
        { metric: 'publish → applied p50', value: round(percentile(latencies, 50)), unit: 'ms' },
        { metric: 'publish → applied p99', value: round(percentile(latencies, 99)), unit: 'ms', target: '≤ 100 ms' },
        { metric: 'publish → applied max', value: round(latencies.at(-1) ?? NaN), unit: 'ms' },
        { metric: 'all agents applied, median change', value: round(percentile(allAppliedMs, 50)), unit: 'ms' },
        { metric: 'all agents applied, slowest change', value: round(allAppliedMs.at(-1) ?? NaN), unit: 'ms', target: '≤ 1000 ms' },
        { metric: 'deliveries measured', value: latencies.length, unit: `(of ${AGENTS * CHANGES})` },
        { metric: 'agents connected and at the first set', value: round(connectMs), unit: 'ms' },
        { metric: 'haproxy.cfg rendered', value: Math.round(renderedBytes / 1024), unit: 'KiB' },
      ],
    };
  } finally {
    await Promise.all(watches.map((w) => w.close().catch(() => undefined)));
    await nats.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await runWhenEntry(import.meta.url, benchFanout);
