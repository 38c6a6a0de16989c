/**
 * Issue 11 (lifecycle), "the whole fleet goes offline after a year": an agent renewed its client certificate only by
 * registering again with the bootstrap token in agent.yaml, long expired by then. Here a real coordinator
 * (startCoordinator with its supervised nats-server) issues agent certificates of 10 s, the agent's token is used up and
 * deleted, and the real agent session runs past three lifetimes. It must renew over its session each time, reconnect
 * with the new certificate, never register again, and keep following and reporting backend sets.
 *
 * "Applying backend sets" is checked end to end without haproxy: the agent's own NATS watch (watchBackendSet with its
 * registration's nkey and the pinned CA, as agent/daemon.ts starts it) receives each set the coordinator's store
 * publishes, and the agent reports it over its session (reportLbApplied, as the daemon does after applying); the
 * coordinator's hub records it only from a live, authenticated session. So a set published after every rotation and
 * seen as applied by the hub proves both channels survived the rotation. The real daemon would add haproxy's runtime
 * API, which this test does not need.
 */
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAgentConfig, type AgentConfig } from '../../core/agent-config.js';
import { addBackend } from '../../core/backend-set.js';
import { startCoordinator, type Coordinator } from '../../coordinator/daemon.js';
import { pickFreePort } from '../../coordinator/nats/ports.js';
import { certFingerprint } from '../../coordinator/pki/ca.js';
import { StateStore } from '../../coordinator/state/store.js';
import { silentLogger } from '../../lib/log.js';
import { connectNats, type NatsConnection } from '../../lib/nats/connect.js';
import type { CoordinatorMessage__Output } from '../../proto/generated/kubeadm_ha/v1/CoordinatorMessage.js';
import { AgentService } from '../../proto/index.js';
import { AgentSession, loadRegistration, NATS_SEED_FILE, natsTlsFor, watchBackendSet } from '../support/agent-side.js';
import { runCtl as ctl } from '../support/coordinatorctl.js';
import { testFacts } from '../support/grpc-testing.js';

const NATS_SERVER = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'].find((p) => existsSync(p));
// Long enough that the replaced certificate is still unexpired when the test presents it (renewal at two thirds), on a loaded host.
const TTL_MS = 10_000;
const NAME = 'rot-0';

/** Opens a Session with the given pair and says how it ended: 'open' when the coordinator acknowledged it. */
async function trySession(address: string, caPem: string, keyPem: string, certPem: string): Promise<string> {
  const client = new AgentService(address, grpc.credentials.createSsl(Buffer.from(caPem), Buffer.from(keyPem), Buffer.from(certPem)));
  try {
    const call = client.session();
    return await new Promise<string>((resolve) => {
      call.on('data', (_m: CoordinatorMessage__Output) => resolve('open'));
      call.on('error', (e: grpc.ServiceError) => resolve(`${grpc.status[e.code]}: ${e.details}`));
      call.write({ hello: { agentName: NAME, agentVersion: 'old', appliedLbVersion: 0, facts: testFacts(NAME) } });
    }).finally(() => call.cancel());
  } finally {
    client.close();
  }
}

describe.skipIf(!NATS_SERVER)('agent certificate rotation against a real coordinator', () => {
  let dir: string;
  let coordinator: Coordinator;
  let address: string;
  let nats: NatsConnection;
  let store: StateStore;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubeadm-ha-rotation-'));
    address = `127.0.0.1:${await pickFreePort('127.0.0.1')}`;
    coordinator = await startCoordinator({
      dataDir: join(dir, 'coordinator'),
      listen: address,
      advertise: address,
      clusterName: 'prod',
      natsListenHost: '127.0.0.1',
      logger: silentLogger,
      agentCertTtlMs: TTL_MS,
    });
    const credentials = { kind: 'creds' as const, creds: await readFile(join(dir, 'coordinator', 'nats', 'coordinator.creds')) };
    nats = await connectNats({ url: coordinator.natsUrl, credentials, tls: { ca: coordinator.ca.certPem } }, { name: 'rotation-test', logger: silentLogger });
    store = await StateStore.open(nats);
  }, 60_000);

  afterAll(async () => {
    await nats?.close();
    await coordinator?.stop();
    await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('renews its certificate over the session past three lifetimes with its token gone, never re-registers, and keeps applying backend sets', async () => {
    const created = await ctl(coordinator.adminConfPath, 'token', 'create', '--node-name', NAME);
    expect(created.code).toBe(0);
    const token = parseAgentConfig(created.out).token;
    const config: AgentConfig = { coordinator: address, token, caCertHash: coordinator.ca.pin, nodeName: NAME, stateDir: join(dir, 'agent') };
    const session = new AgentSession({
      config,
      agentVersion: 'test',
      handlers: {},
      gatherFacts: async () => testFacts(NAME),
      backoff: { initialMs: 100, maxMs: 500 },
    });
    let registrations = 0;
    let connects = 0;
    const renewed: Date[] = [];
    const failures: string[] = [];
    session.on('registered', () => registrations++);
    session.on('connected', () => connects++);
    session.on('certificateRenewed', (notAfter) => renewed.push(notAfter));
    session.on('renewalFailed', (err) => failures.push(err.message));
    // A reconnect attempt may fail on a loaded host and is retried; what matters is the bound below (each set applied
    // within 5 s of a rotation) and that none of them was a registration.
    const attempts: string[] = [];
    session.on('attemptFailed', (err) => attempts.push(err.message));
    const firstConnect = new Promise<void>((resolve) => session.once('connected', () => resolve()));
    session.start();
    let watch: { close(): Promise<void> } | undefined;
    try {
      await firstConnect;
      // The token is spent (single use) and deleted: from here on the agent has no way to register again.
      expect((await ctl(coordinator.adminConfPath, 'token', 'delete', token.split('.')[0]!)).code).toBe(0);

      const loaded = await loadRegistration(config.stateDir, config.caCertHash);
      const reg = loaded.registration!;
      const seed = (await readFile(join(config.stateDir, NATS_SEED_FILE), 'utf8')).trim();
      // The user JWT its Register answer carried, as the agent daemon reads it.
      const userJwt = (await readFile(join(config.stateDir, 'nats-user.jwt'), 'utf8')).trim();
      watch = watchBackendSet({
        url: reg.natsUrl,
        nkeySeed: seed,
        userJwt: () => userJwt,
        cluster: reg.clusterName,
        tls: natsTlsFor(reg),
        logger: silentLogger,
        onSet: (set) => session.reportLbApplied(set.version),
        backoff: { initialMs: 100, maxMs: 500 },
      });
      const applied = () => coordinator.hub.appliedLbVersions().get(NAME) ?? 0;
      const publishAndWaitApplied = async (i: number): Promise<number> => {
        const set = await store.backendSets.update('prod', (s) => addBackend(s, { name: `master-${i}`, address: `198.18.0.${10 + i}`, port: 6443 }));
        const deadline = Date.now() + 5_000;
        while (applied() < set.version && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        return set.version;
      };
      const first = await publishAndWaitApplied(0);
      expect(applied()).toBe(first);

      const fingerprints = [certFingerprint(reg.certPem)];
      let previousPair = { keyPem: reg.keyPem, certPem: reg.certPem };
      const started = Date.now();
      let oldRefusal = '';
      // Past three lifetimes: each renewal is followed by a reconnect with the new pair and a set applied over it.
      while (Date.now() - started < 3 * TTL_MS + 1_000 || fingerprints.length < 4) {
        if (Date.now() - started > 6 * TTL_MS) throw new Error(`only ${fingerprints.length - 1} renewals; failures: ${[...failures, ...attempts].join(' | ')}`);
        await new Promise((r) => setTimeout(r, 200));
        const current = (await loadRegistration(config.stateDir, config.caCertHash)).registration;
        if (!current || certFingerprint(current.certPem) === fingerprints[fingerprints.length - 1]) continue;
        const fingerprint = certFingerprint(current.certPem);
        // The coordinator's record follows the agent's new certificate once the new session opened with it.
        const deadline = Date.now() + 5_000;
        let record = (await store.cluster('prod').agents.get(NAME))?.value;
        while ((record?.certSha256 !== fingerprint || record.previousCertSha256) && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 50));
          record = (await store.cluster('prod').agents.get(NAME))?.value;
        }
        expect(record?.certSha256).toBe(fingerprint);
        expect(record?.previousCertSha256).toBeUndefined();
        expect(Date.parse(record!.certNotAfter!)).toBeGreaterThan(Date.now());
        // The replaced certificate, not yet expired, no longer opens a session.
        if (!oldRefusal) {
          oldRefusal = await trySession(address, reg.caPem, previousPair.keyPem, previousPair.certPem);
          expect(oldRefusal).toMatch(/^UNAUTHENTICATED: .*replaced by a newer registration or renewal/);
        }
        fingerprints.push(fingerprint);
        previousPair = { keyPem: current.keyPem, certPem: current.certPem };
        const version = await publishAndWaitApplied(fingerprints.length);
        expect(applied()).toBe(version);
        expect(session.connected).toBe(true);
      }

      expect(new Set(fingerprints).size).toBe(fingerprints.length);
      expect(fingerprints.length).toBeGreaterThanOrEqual(4);
      expect(renewed.length).toBeGreaterThanOrEqual(3);
      // Registered once, at the start, with the token that is now gone; every session after came from a renewal.
      expect(registrations).toBe(1);
      expect((await store.cluster('prod').agents.get(NAME))?.value.tokenId).toBe(token.split('.')[0]);
      expect(connects).toBe(renewed.length + 1);
      expect(failures.join(' | ')).toBe('');
      expect(attempts.filter((m) => /regist|token/i.test(m))).toEqual([]);
      // The key changed with every certificate, and the stored pair is 0600.
      const { stat } = await import('node:fs/promises');
      expect((await stat(join(config.stateDir, 'agent.key'))).mode & 0o777).toBe(0o600);
      expect((await stat(join(config.stateDir, 'agent.crt'))).mode & 0o777).toBe(0o600);
    } finally {
      await watch?.close();
      await session.stop();
    }
  }, 120_000);
});
