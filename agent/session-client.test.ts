import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuthError, type KubeadmHaError } from '../core/errors.js';
import { createOtherCa, startTestCoordinator, testFacts, TEST_TOKENS, type TestCoordinator } from '../test/support/grpc-testing.js';
import {
  AGENT_CERT_FILE,
  AGENT_KEY_FILE,
  COORDINATOR_CA_FILE,
  fetchPinnedCa,
  loadRegistration,
  moveNatsEndpoint,
  NATS_CA_FILE,
  NATS_SEED_FILE,
  natsTlsFor,
  REGISTRATION_FILE,
} from './identity.js';
import { AgentSession, type AgentSessionOptions } from './session-client.js';

const mode = async (p: string) => (await stat(p)).mode & 0o777;

describe('agent session client', () => {
  let coordinator: TestCoordinator;
  let stateRoot: string;
  const sessions: AgentSession[] = [];

  function agent(name: string, over: Partial<AgentSessionOptions['config']> = {}): AgentSession {
    const session = new AgentSession({
      config: {
        coordinator: coordinator.address,
        token: TEST_TOKENS.any,
        caCertHash: coordinator.ca.pin,
        nodeName: name,
        stateDir: join(stateRoot, name),
        ...over,
      },
      agentVersion: '0.1.0-test',
      handlers: {},
      gatherFacts: async () => testFacts(name),
      backoff: { initialMs: 50, maxMs: 300 },
    });
    sessions.push(session);
    return session;
  }

  const next = <E extends 'connected' | 'attemptFailed' | 'registered'>(s: AgentSession, event: E) =>
    new Promise<unknown[]>((resolve) => (s as unknown as NodeJS.EventEmitter).once(event, (...args: unknown[]) => resolve(args)));

  beforeAll(async () => {
    stateRoot = await mkdtemp(join(tmpdir(), 'agent-session-test-'));
  });
  afterAll(() => rm(stateRoot, { recursive: true, force: true }));
  beforeEach(async () => {
    coordinator = await startTestCoordinator({ hub: { pingIntervalMs: 1_000 } });
  });
  afterEach(async () => {
    await Promise.all(sessions.splice(0).map((s) => s.stop()));
    await coordinator.close();
  });

  it('registers once, keeps key, certificate, CA and NATS seed 0600 in a 0700 state dir, and reuses them on restart', async () => {
    const first = agent('w1');
    const connected = next(first, 'connected');
    first.start();
    await connected;
    const dir = join(stateRoot, 'w1');
    expect(await mode(dir)).toBe(0o700);
    expect((await readdir(dir)).sort()).toEqual([AGENT_CERT_FILE, AGENT_KEY_FILE, COORDINATOR_CA_FILE, NATS_SEED_FILE, REGISTRATION_FILE].sort());
    for (const f of await readdir(dir)) expect([f, await mode(join(dir, f))]).toEqual([f, 0o600]);
    const loaded = await loadRegistration(dir, coordinator.ca.pin);
    expect(loaded.registration?.agentName).toBe('w1');
    expect(loaded.registration?.natsUrl).toBe('tls://127.0.0.1:4222');
    // The embedded NATS: no CA of its own; the agent verifies it against the CA it pinned.
    expect(loaded.registration?.natsCaPem).toBeUndefined();
    expect(natsTlsFor(loaded.registration!)).toEqual({ ca: coordinator.ca.certPem });
    expect(coordinator.tokens.calls).toBe(1);
    await first.stop();

    const second = agent('w1');
    const again = next(second, 'connected');
    second.start();
    await again;
    expect(coordinator.tokens.calls).toBe(1);
    expect(coordinator.hub.isConnected('w1')).toBe(true);
  });

  it('stores the CA of an external NATS from the registration reply (0600) and verifies NATS against it, not the pinned CA', async () => {
    const natsCa = await createOtherCa(join(stateRoot, 'external-nats-ca'));
    await coordinator.close();
    coordinator = await startTestCoordinator({
      hub: { pingIntervalMs: 1_000 },
      clusterInfo: () => ({ clusterName: 'test', natsUrl: 'tls://198.18.0.5:4222', natsCaPem: natsCa.certPem }),
    });
    const session = agent('w-ext');
    const connected = next(session, 'connected');
    session.start();
    await connected;
    const dir = join(stateRoot, 'w-ext');
    expect(await mode(join(dir, NATS_CA_FILE))).toBe(0o600);
    const loaded = await loadRegistration(dir, coordinator.ca.pin);
    expect(loaded.registration?.natsCaPem).toBe(natsCa.certPem);
    expect(natsTlsFor(loaded.registration!)).toEqual({ ca: natsCa.certPem });
    // A plaintext URL (coordinator --nats-insecure) gets no TLS options; anything else gets them.
    expect(natsTlsFor({ ...loaded.registration!, natsUrl: 'nats://198.18.0.5:4222' })).toBeUndefined();
  });

  it('refuses a coordinator whose CA does not match the pin, naming both pins, and never sends the token', async () => {
    const other = await createOtherCa(join(stateRoot, 'other-ca'));
    const session = agent('w2', { caCertHash: other.pin });
    const failed = next(session, 'attemptFailed');
    session.start();
    const [err] = await failed;
    expect(err).toBeInstanceOf(AuthError);
    expect((err as Error).message).toBe(
      `coordinator ${coordinator.address} is not the one agent.yaml pins: its CA is ${coordinator.ca.pin} but caCertHash is ${other.pin}; refusing to send anything to it`,
    );
    await session.stop();
    expect(coordinator.tokens.calls).toBe(0);
    expect(await coordinator.registry.list()).toEqual([]);
    expect(session.connected).toBe(false);
  });

  it('fetchPinnedCa returns the CA the coordinator presents in its chain when the pin matches', async () => {
    expect(await fetchPinnedCa(coordinator.address, coordinator.ca.pin)).toBe(coordinator.ca.certPem);
    // Same pin in kubeadm's other accepted spelling.
    expect(await fetchPinnedCa(`localhost:${coordinator.server.port}`, coordinator.ca.pin.toUpperCase().replace('SHA256', 'sha256'))).toBe(
      coordinator.ca.certPem,
    );
    await expect(fetchPinnedCa('127.0.0.1:1', coordinator.ca.pin, { timeoutMs: 2_000 })).rejects.toThrow(/cannot reach coordinator 127\.0\.0\.1:1/);
  });

  it('reconnects after the coordinator restarts, without registering again', async () => {
    const session = agent('w3');
    const first = next(session, 'connected');
    session.start();
    await first;
    const reconnected = next(session, 'connected');
    await coordinator.restart();
    await reconnected;
    expect(coordinator.hub.isConnected('w3')).toBe(true);
    expect(coordinator.tokens.calls).toBe(1);
  });

  it('registers again with the bootstrap token when the coordinator no longer knows its certificate', async () => {
    const session = agent('w4');
    const first = next(session, 'connected');
    session.start();
    await first;
    const oldFingerprint = (await coordinator.registry.get('w4'))?.certFingerprint;
    await coordinator.registry.delete('w4');
    const registered = next(session, 'registered');
    const reconnected = next(session, 'connected');
    await coordinator.restart();
    await registered;
    await reconnected;
    expect(coordinator.tokens.calls).toBe(2);
    const record = await coordinator.registry.get('w4');
    expect(record?.certFingerprint).toBeDefined();
    expect(record?.certFingerprint).not.toBe(oldFingerprint);
  });

  it('keeps trying with backoff while the coordinator is down, then connects', async () => {
    const port = coordinator.server.port;
    await coordinator.server.stop(0);
    const session = agent('w5');
    const failures: KubeadmHaError[] = [];
    session.on('attemptFailed', (e) => failures.push(e));
    const connected = next(session, 'connected');
    session.start();
    await new Promise((r) => setTimeout(r, 500));
    expect(failures.length).toBeGreaterThanOrEqual(2);
    expect(failures[0]?.message).toMatch(/cannot reach coordinator/);
    await coordinator.restart();
    expect(coordinator.server.port).toBe(port);
    await connected;
    expect(coordinator.hub.isConnected('w5')).toBe(true);
  });
  it('stores the NATS endpoint the coordinator sends when it moved, refuses a malformed one, and ignores one that did not move', async () => {
    const session = agent('w-move');
    const first = next(session, 'connected');
    session.start();
    await first;
    const dir = join(stateRoot, 'w-move');
    const before = (await loadRegistration(dir, coordinator.ca.pin)).registration!;
    expect(await moveNatsEndpoint(dir, coordinator.ca.pin, { url: before.natsUrl, caPem: '' })).toBeUndefined();
    const moved = await moveNatsEndpoint(dir, coordinator.ca.pin, { url: 'tls://127.0.0.1:4999', caPem: coordinator.ca.certPem });
    expect(moved).toMatchObject({ natsUrl: 'tls://127.0.0.1:4999', natsCaPem: coordinator.ca.certPem });
    expect((await loadRegistration(dir, coordinator.ca.pin)).registration).toMatchObject({ natsUrl: 'tls://127.0.0.1:4999' });
    expect(await mode(join(dir, NATS_CA_FILE))).toBe(0o600);
    for (const bad of [
      { url: 'http://evil:80', caPem: '' },
      { url: 'tls://a:1 --flag', caPem: '' },
      { url: 'tls://127.0.0.1:4222', caPem: 'not a certificate' },
    ]) {
      await expect(moveNatsEndpoint(dir, coordinator.ca.pin, bad)).rejects.toThrow(/NATS endpoint from the coordinator/);
    }
    expect((await loadRegistration(dir, coordinator.ca.pin)).registration).toMatchObject({ natsUrl: 'tls://127.0.0.1:4999' });
  });
});
