/**
 * Registrations: 1000 agents registered one after the other, each waiting for the previous, through the coordinator's
 * agent registry (coordinator/state/adapters.ts KvAgentRegistry.put, then natsUserJwt as Register does) on a real
 * embedded nats-server with TLS and a real JetStream state store: the part of a Register RPC whose cost could grow with
 * the fleet (claiming the agent's NATS key, recording it, and issuing its user JWT). The rest of the RPC (token check, signing the agent's CSR) costs the same for the first agent and
 * the thousandth, and is not in these figures.
 *
 * Reported: registrations per second over the whole run, and the median cost of one registration around the 100th and
 * around the 1000th, which must be the same: the cost of one must not grow with the number already registered. At the
 * end, the last agent connects with its own credentials and reads its backend set, so a registration that "succeeded"
 * without letting the agent in would show.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUser } from '@nats-io/nkeys';
import { jetstreamManager } from '@nats-io/jetstream';
import { withBackends } from '../../core/backend-set.js';
import type { HostFacts__Output } from '../../proto/generated/kubeadm_ha/v1/HostFacts.js';
import { startLocalNats } from '../../coordinator/nats/server.js';
import { ensureNatsServerCert } from '../../coordinator/nats/tls.js';
import { loadOrCreateCa } from '../../coordinator/pki/ca.js';
import { KvAgentRegistry } from '../../coordinator/state/adapters.js';
import { StateStore } from '../../coordinator/state/store.js';
import { connectNats } from '../../lib/nats/connect.js';
import { silentLogger } from '../../lib/log.js';
import { nkeySigner } from '../../lib/nats/nkey-signer.js';
import { LB_BUCKET, agentInboxPrefix, backendSetKey, kvStreamName, kvSubject } from '../../lib/nats/names.js';
import { runWhenEntry, type BenchResult } from './result.js';

const REGISTRATIONS = Number(process.env.KHA_BENCH_REGISTRATIONS ?? 1000);
const CLUSTER = 'registrations';
/** How many registrations, up to and including the 100th and the 1000th, make "around". */
const WINDOW = 50;

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? NaN;
};
const round = (ms: number) => Math.round(ms * 100) / 100;

export async function benchRegistrations(): Promise<BenchResult> {
  const dataDir = await mkdtemp(join(tmpdir(), 'kha-registrations-'));
  const ca = await loadOrCreateCa(join(dataDir, 'pki'));
  const cert = await ensureNatsServerCert(ca, join(dataDir, 'nats'), '127.0.0.1', { logger: silentLogger });
  const nats = await startLocalNats({ dataDir, clusterName: CLUSTER, logger: silentLogger, tls: cert.server, clientTls: cert.client });
  try {
    const nc = await connectNats(nats, { name: 'registrations coordinator', logger: silentLogger });
    const store = await StateStore.open(nc);
    const state = store.cluster(CLUSTER);
    const registry = new KvAgentRegistry(
      () => state,
      () => CLUSTER,
      nats,
    );
    const initial = await store.backendSets.current(CLUSTER);
    await store.backendSets.publish(withBackends(initial, [{ name: 'master-0', address: '198.18.0.11', port: 6443 }]));

    const costs: number[] = [];
    let last: { user: ReturnType<typeof createUser>; jwt: string } | undefined;
    const started = performance.now();
    for (let i = 0; i < REGISTRATIONS; i++) {
      const user = createUser();
      // The agent derives its public key; the coordinator only receives it. Derived before the clock starts (nkeys'
      // pure-JavaScript derivation would otherwise be measured as registration time).
      const natsNkeyPublic = nkeySigner(user.getSeed()).publicKey;
      const at = performance.now();
      await registry.put({
        name: `agent-${i}`,
        role: 'worker',
        certFingerprint: 'ab'.repeat(32),
        certSerial: String(i + 1),
        certNotAfter: new Date(Date.now() + 365 * 86_400_000).toISOString(),
        natsNkeyPublic,
        facts: {} as HostFacts__Output,
        agentVersion: 'bench',
        registeredAt: new Date().toISOString(),
        tokenId: 'benchtoken',
      });
      const jwt = await registry.natsUserJwt(`agent-${i}`);
      costs.push(performance.now() - at);
      if (!jwt) throw new Error(`agent-${i} got no NATS user JWT`);
      last = { user, jwt };
    }
    const totalMs = performance.now() - started;

    // The last one registered is let in: it reads its cluster's backend set with its own key.
    const agent = await connectNats(
      { url: nats.url, credentials: { kind: 'jwt', jwt: () => last!.jwt, seed: last!.user.getSeed() }, ...(nats.tls ? { tls: nats.tls } : {}) },
      { name: 'registrations last agent', logger: silentLogger, inboxPrefix: agentInboxPrefix(nkeySigner(last!.user.getSeed()).publicKey) },
    );
    const jsm = await jetstreamManager(agent, { checkAPI: false });
    const stored = await jsm.direct.getMessage(kvStreamName(LB_BUCKET), { last_by_subj: kvSubject(LB_BUCKET, backendSetKey(CLUSTER)) });
    if (!stored) throw new Error('the last registered agent could not read its backend set');
    await agent.close();
    await nc.close();

    // The same number of registrations at both ends: the WINDOW ones up to and including the nth.
    const around = (n: number) => median(costs.slice(Math.max(0, n - WINDOW), Math.min(costs.length, n)));
    return {
      name: `registrations (${REGISTRATIONS} in a row: NATS key claim, state record and user JWT, embedded nats-server with TLS)`,
      rows: [
        { metric: 'registrations per second', value: Math.round((REGISTRATIONS / totalMs) * 1000 * 10) / 10, unit: '/s' },
        { metric: 'one registration, median around the 100th', value: round(around(100)), unit: 'ms' },
        { metric: `one registration, median around the ${REGISTRATIONS}th`, value: round(around(REGISTRATIONS)), unit: 'ms', target: 'same as at 100' },
        { metric: 'slowest registration', value: round(Math.max(...costs)), unit: 'ms' },
      ],
    };
  } finally {
    await nats.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await runWhenEntry(import.meta.url, benchRegistrations);
