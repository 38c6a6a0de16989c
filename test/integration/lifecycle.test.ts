/**
 * Issue "Lifecycle", against the real coordinator (startCoordinator with its supervised nats-server): the embedded
 * NATS keeps its port across restarts, a second coordinator on the same data dir is refused at once and the first
 * keeps serving, and a registered agent is told the current NATS endpoint at every session start. Before this work,
 * the port changed at every start (agents kept dialling the old one) and a second coordinator killed the first one's
 * nats-server.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromSeed } from '@nats-io/nkeys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAgentConfig } from '../../core/agent-config.js';
import { startCoordinator, type Coordinator, type CoordinatorOptions } from '../../coordinator/daemon.js';
import { pickFreePort } from '../../coordinator/nats/ports.js';
import { silentLogger } from '../../lib/log.js';
import { connectNats } from '../../lib/nats/connect.js';
import { natsUserJwtSubject } from '../../lib/nats/credentials.js';
import { AgentSession } from '../support/agent-side.js';
import { runCtl as ctl } from '../support/coordinatorctl.js';
import { testFacts } from '../support/grpc-testing.js';

const NATS_SERVER = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'].find((p) => existsSync(p));

describe.skipIf(!NATS_SERVER)('coordinator lifecycle against a real coordinator and nats-server', () => {
  let dir: string;
  let options: CoordinatorOptions;
  let coordinator: Coordinator | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubeadm-ha-lifecycle-'));
    const address = `127.0.0.1:${await pickFreePort('127.0.0.1')}`;
    options = {
      dataDir: join(dir, 'coordinator'),
      listen: address,
      advertise: address,
      clusterName: 'prod',
      natsListenHost: '127.0.0.1',
      logger: silentLogger,
    };
  });
  afterAll(async () => {
    await coordinator?.stop();
    await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('keeps the NATS port across restarts; --nats-port moves it, and a session start tells the agent the new URL', async () => {
    coordinator = await startCoordinator(options);
    const firstUrl = coordinator.natsUrl;
    const created = await ctl(coordinator.adminConfPath, 'token', 'create');
    const config = { ...parseAgentConfig(created.out), nodeName: 'worker-0', stateDir: join(dir, 'agent') };
    const endpoints: { url: string; caPem: string; userJwt: string }[] = [];
    const session = new AgentSession({
      config,
      agentVersion: 'test',
      handlers: {},
      gatherFacts: async () => testFacts('worker-0'),
      backoff: { initialMs: 100, maxMs: 300 },
    });
    session.on('natsEndpoint', (e) => endpoints.push(e));
    const connected = () => new Promise<void>((resolve) => session.once('connected', () => resolve()));
    let up = connected();
    session.start();
    await up;

    await coordinator.stop();
    coordinator = await startCoordinator(options);
    expect(coordinator.natsUrl).toBe(firstUrl);

    await coordinator.stop();
    const moved = await pickFreePort('127.0.0.1');
    up = connected();
    coordinator = await startCoordinator({ ...options, natsPort: moved });
    expect(coordinator.natsUrl).toBe(`tls://127.0.0.1:${moved}`);
    await up;
    await new Promise((r) => setTimeout(r, 200));
    const last = endpoints.at(-1)!;
    expect({ url: last.url, caPem: last.caPem }).toEqual({ url: `tls://127.0.0.1:${moved}`, caPem: '' });
    // Every session start brings a user JWT for the agent's own NATS key; the one from Register is on disk, 0600.
    const agentKey = fromSeed(new TextEncoder().encode((await readFile(join(config.stateDir, 'nats.nk'), 'utf8')).trim())).getPublicKey();
    expect(natsUserJwtSubject(last.userJwt)).toBe(agentKey);
    const stored = (await readFile(join(config.stateDir, 'nats-user.jwt'), 'utf8')).trim();
    expect(natsUserJwtSubject(stored)).toBe(agentKey);
    expect((await stat(join(config.stateDir, 'nats-user.jwt'))).mode & 0o777).toBe(0o600);
    await session.stop();
    // Without --nats-port again: the moved port is the one remembered.
    await coordinator.stop();
    coordinator = await startCoordinator(options);
    expect(coordinator.natsUrl).toBe(`tls://127.0.0.1:${moved}`);
  }, 60_000);

  it('refuses a second coordinator on the same data dir at once, naming the pid; the first keeps serving', async () => {
    const first = coordinator!;
    const address = `127.0.0.1:${await pickFreePort('127.0.0.1')}`;
    const err = await startCoordinator({ ...options, listen: address, advertise: address }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(new RegExp(`is in use by the kubeadm-ha-coordinator with pid ${process.pid}; stop it first`));
    // The first one still answers, and its nats-server was not touched.
    expect((await ctl(first.adminConfPath, 'status')).code).toBe(0);
    const credentials = { kind: 'creds' as const, creds: await readFile(join(options.dataDir, 'nats', 'coordinator.creds')) };
    const nc = await connectNats({ url: first.natsUrl, credentials, tls: { ca: first.ca.certPem } }, { name: 'lifecycle-test', logger: silentLogger });
    await nc.flush();
    await nc.close();
  }, 60_000);
});
