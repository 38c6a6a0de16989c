/**
 * Issue "Trust": every finding of the review, against a real coordinator (the daemon's own startCoordinator, with its
 * supervised nats-server and JetStream state), real coordinatorctl commands (runCli with admin.conf) and the real
 * agent client (Register over gRPC/TLS, live Sessions, the agent's NATS key). Each test failed on the code before the
 * trust work: any valid token took any unconnected name, tokens were multi-use with no TTL cap, an agent's hint chose
 * its role, removed agents kept their certificate and NATS user, and a failed Register replaced the name's NATS key.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAgentConfig, type AgentConfig } from '../../core/agent-config.js';
import type { KubeadmHaError } from '../../core/errors.js';
import { loadSpec } from '../../core/validate.js';
import { startCoordinator, type Coordinator } from '../../coordinator/daemon.js';
import { pickFreePort } from '../../coordinator/nats/ports.js';
import { StateStore } from '../../coordinator/state/store.js';
import { silentLogger } from '../../lib/log.js';
import { connectNats, type NatsConnection } from '../../lib/nats/connect.js';
import type { NatsEndpoint } from '../../lib/nats/credentials.js';
import { AgentSession, registerAgent } from '../support/agent-side.js';
import { runCtl as ctl } from '../support/coordinatorctl.js';
import { testFacts } from '../support/grpc-testing.js';

const NATS_SERVER = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'].find((p) => existsSync(p));
const FIXTURE = join(import.meta.dirname, '../fixtures/cluster.yaml');

describe.skipIf(!NATS_SERVER)('trust against a real coordinator and nats-server', () => {
  let dir: string;
  let coordinator: Coordinator;
  let address: string;
  let nats: NatsConnection;
  let store: StateStore;
  const sessions: AgentSession[] = [];
  let n = 0;

  const run = (...args: string[]) => ctl(coordinator.adminConfPath, ...args);
  /** `token create` with flags; the token from the agent.yaml it prints. */
  const token = async (...flags: string[]): Promise<string> => {
    const r = await run('token', 'create', ...flags);
    if (r.code !== 0) throw new Error(`token create ${flags.join(' ')}: ${r.err}`);
    return parseAgentConfig(r.out).token;
  };
  const agentConfig = (name: string, tok: string, role?: 'worker' | 'control-plane'): AgentConfig => ({
    coordinator: address,
    token: tok,
    caCertHash: coordinator.ca.pin,
    nodeName: name,
    stateDir: join(dir, `agent-${name}-${++n}`),
    ...(role ? { role } : {}),
  });
  const register = (cfg: AgentConfig) => registerAgent(cfg, { agentVersion: 'test', facts: testFacts(cfg.nodeName ?? 'x') });
  const refusal = async (cfg: AgentConfig): Promise<string> => {
    try {
      await register(cfg);
    } catch (err) {
      return (err as KubeadmHaError).message;
    }
    throw new Error(`${cfg.nodeName} registered, but should have been refused`);
  };
  const registered = async () => (await store.cluster('prod').agents.ids()).sort();
  /** A live agent: registered, session open, until the test ends. */
  const connectAgent = async (cfg: AgentConfig): Promise<AgentSession> => {
    const session = new AgentSession({
      config: cfg,
      agentVersion: 'test',
      handlers: {},
      gatherFacts: async () => testFacts(cfg.nodeName ?? 'x'),
      backoff: { initialMs: 100, maxMs: 500 },
    });
    sessions.push(session);
    const connected = new Promise<void>((resolve) => session.once('connected', () => resolve()));
    session.start();
    await connected;
    return session;
  };
  /** What the agent logs in to NATS with: its seed and the user JWT its Register answer carried, both from its state dir. */
  const agentNats = async (stateDir: string, natsUrl: string): Promise<NatsEndpoint> => {
    const jwt = (await readFile(join(stateDir, 'nats-user.jwt'), 'utf8')).trim();
    const seed = new TextEncoder().encode((await readFile(join(stateDir, 'nats.nk'), 'utf8')).trim());
    return {
      url: natsUrl,
      credentials: { kind: 'jwt', jwt: () => jwt, seed },
      ...(natsUrl.startsWith('tls:') ? { tls: { ca: coordinator.ca.certPem } } : {}),
    };
  };
  /** Each agent's NATS key as the coordinator recorded it, and the key index (one key, one agent). */
  const natsUsers = async () => {
    const state = store.cluster('prod');
    const agents = [...(await state.agents.list()).values()].map((v) => ({ agentName: v.value.name, publicKey: v.value.nkeyPublicKey }));
    const index = [...(await state.agentKeys.list()).entries()].map(([key, v]) => `${v.value.name}/${key}`).sort();
    return { agents, index };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubeadm-ha-trust-'));
    const port = await pickFreePort('127.0.0.1');
    address = `127.0.0.1:${port}`;
    coordinator = await startCoordinator({
      dataDir: join(dir, 'coordinator'),
      listen: address,
      advertise: address,
      clusterName: 'prod',
      natsListenHost: '127.0.0.1',
      logger: silentLogger,
      // An approved join fails fast here (no host answers): the test only needs to see it start.
      timeouts: { agentsMs: 500 },
    });
    const credentials = { kind: 'creds' as const, creds: await readFile(join(dir, 'coordinator', 'nats', 'coordinator.creds')) };
    nats = await connectNats(
      {
        url: coordinator.natsUrl,
        credentials,
        ...(coordinator.natsUrl.startsWith('tls:') ? { tls: { ca: coordinator.ca.certPem } } : {}),
      },
      { name: 'trust-test', logger: silentLogger },
    );
    store = await StateStore.open(nats);
    // The deployed spec: master-0..2 are control-plane names nobody has registered yet.
    await store.cluster('prod').spec.put(loadSpec(readFileSync(FIXTURE, 'utf8')).spec);
  }, 60_000);

  afterAll(async () => {
    for (const s of sessions) await s.stop();
    await nats?.close();
    await coordinator?.stop();
    await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('1: a worker token cannot take a spec control-plane name that has not booted; nothing is registered and its use is not spent', async () => {
    const tok = await token();
    const message = await refusal(agentConfig('master-1', tok));
    expect(message).toMatch(/master-1 is a control-plane node of the deployed spec; only a control-plane token/);
    expect(await registered()).not.toContain('master-1');
    // The refused attempt did not spend the single use: the same token still registers a worker.
    await register(agentConfig('worker-5', tok));
    expect(await registered()).toContain('worker-5');
  });

  it('1: a registered name whose agent is down is refused to any other token; the host keeps its identity; a token bound to the name replaces it', async () => {
    const original = agentConfig('worker-0', await token());
    const reg = await register(original);
    const keyBefore = (await natsUsers()).agents.find((a) => a.agentName === 'worker-0')?.publicKey;
    expect(keyBefore).toBeDefined();
    // An attacker with a fresh valid token, while worker-0's agent is not connected (it restarts).
    const message = await refusal(agentConfig('worker-0', await token('--uses', '3')));
    expect(message).toMatch(/worker-0 is already registered; to replace that host, register with a token bound to it/);
    // The real host keeps its identity: same NATS key, and its certificate still opens a Session.
    expect((await natsUsers()).agents.find((a) => a.agentName === 'worker-0')?.publicKey).toBe(keyBefore);
    await connectAgent(original);
    expect(reg.agentName).toBe('worker-0');
    // A bound token still cannot take it while its agent is connected; once it is down, it can.
    const bound = await token('--node-name', 'worker-0');
    expect(await refusal(agentConfig('worker-0', bound))).toMatch(/worker-0 is connected right now/);
    await sessions.pop()!.stop();
    await new Promise((r) => setTimeout(r, 200));
    const replacement = agentConfig('worker-0', bound);
    await register(replacement);
    expect((await natsUsers()).agents.find((a) => a.agentName === 'worker-0')?.publicKey).not.toBe(keyBefore);
    // A bound token registers that name only.
    expect(await refusal(agentConfig('worker-7', await token('--node-name', 'worker-8')))).toMatch(/is bound to node worker-8; this agent asks to be worker-7/);
  }, 30_000);

  it('2: tokens are single-use by default, their TTL is capped, and they are listed without the secret, deleted and purged', async () => {
    const tok = await token();
    await register(agentConfig('worker-10', tok));
    expect(await refusal(agentConfig('worker-11', tok))).toMatch(/bootstrap token rejected: unknown, expired, used up or malformed/);

    const tooLong = await run('token', 'create', '--ttl', '4294967296s');
    expect(tooLong.code).toBe(2);
    expect(tooLong.err).toMatch(/--ttl may be at most 168h \(7 days\)/);
    const week = await run('token', 'create', '--ttl', '169h');
    expect(week.code).toBe(2);

    const multi = await token('--uses', '2', '--role', 'control-plane', '--node-name', 'master-2', '--ttl', '2h');
    const [id, secret] = multi.split('.');
    const list = await run('token', 'list', '-o', 'json');
    expect(list.code).toBe(0);
    expect(list.out).not.toContain(secret!);
    const listed = (JSON.parse(list.out) as { id: string; role: string; nodeName: string; uses: number; maxUses: number; expires: string }[]).find(
      (t) => t.id === id,
    );
    expect(listed).toMatchObject({ role: 'ROLE_CONTROL_PLANE', nodeName: 'master-2', uses: 0, maxUses: 2 });
    expect(Date.parse(listed!.expires) - Date.now()).toBeGreaterThan(110 * 60_000);
    // The used-up token is listed with no use left (kept a while for a refund, then purged); the table names the
    // binding and the uses left.
    expect((JSON.parse(list.out) as { id: string; uses: number; maxUses: number }[]).find((t) => t.id === tok.split('.')[0])).toMatchObject({
      uses: 1,
      maxUses: 1,
    });
    expect((await run('token', 'list')).out).toMatch(new RegExp(`${id}\\s+control-plane\\s+master-2\\s+2/2`));

    expect((await run('token', 'delete', id!)).code).toBe(0);
    expect(await refusal(agentConfig('master-2', multi))).toMatch(/bootstrap token rejected/);
    expect((await run('token', 'delete', id!)).code).toBe(1);

    const brief = await token('--ttl', '1s');
    await new Promise((r) => setTimeout(r, 1200));
    expect(await refusal(agentConfig('worker-12', brief))).toMatch(/bootstrap token rejected/);
    expect((await store.cluster('prod').tokens.ids()).includes(brief.split('.')[0]!)).toBe(true);
    await run('token', 'list');
    expect((await store.cluster('prod').tokens.ids()).includes(brief.split('.')[0]!)).toBe(false);
  }, 30_000);

  it('3: a token created without a role admits a worker; the agent hint cannot raise it; a control-plane host waits as pending until approved', async () => {
    expect(await refusal(agentConfig('master-7', await token(), 'control-plane'))).toMatch(/admits worker nodes only, but this agent asks to be control-plane/);
    expect(await registered()).not.toContain('master-7');

    // A control-plane token host that is not in the spec: autoJoin.role is worker in the fixture, so it waits.
    await connectAgent(agentConfig('master-9', await token('--role', 'control-plane')));
    await new Promise((r) => setTimeout(r, 1500));
    const nodes = await run('nodes', '-o', 'json');
    const info = (JSON.parse(nodes.out) as { nodes: { name: string; pending: boolean; pendingReason: string; joined: boolean }[] }).nodes.find(
      (x) => x.name === 'master-9',
    );
    expect(info).toMatchObject({ pending: true, joined: false });
    expect(info!.pendingReason).toMatch(/registered with a control-plane token/);
    expect((await store.cluster('prod').spec.get())!.value.nodes.map((x) => x.name)).not.toContain('master-9');
    expect((await run('nodes')).err).toMatch(/master-9 is pending/);

    // Approval joins it with the role its token admitted (the join then fails here: no host of the spec answers).
    const approved = await run('nodes', 'approve', 'master-9');
    expect(approved.out).toMatch(/approved by an operator: master-9 \(198\.18\.0\.10\) joins as control-plane/);
  }, 30_000);

  it('4: nodes forget revokes an agent: its session ends, its certificate and NATS user stop working, and its old token no longer registers it', async () => {
    // A control-plane token: the host waits as pending instead of being auto-joined (and added to the spec) meanwhile.
    const tok = await token('--uses', '5', '--role', 'control-plane');
    const cfg = agentConfig('worker-20', tok);
    const session = await connectAgent(cfg);
    const reg = JSON.parse(await readFile(join(cfg.stateDir, 'registration.json'), 'utf8')) as { natsUrl: string };
    const nc = await connectNats(await agentNats(cfg.stateDir, reg.natsUrl), { name: 'revoked-agent', logger: silentLogger, reconnectTimeWaitMs: 100 });
    const closed = nc.closed().then(() => true);
    const disconnected = new Promise<KubeadmHaError>((resolve) => session.once('disconnected', resolve));

    const forgot = await run('nodes', 'forget', 'worker-20');
    expect(forgot.code).toBe(0);
    expect(forgot.out).toMatch(/worker-20 revoked/);
    expect((await disconnected).message).toMatch(/worker-20 was revoked \(forgotten by an operator\)/);
    expect(await Promise.race([closed, new Promise((r) => setTimeout(() => r(false), 15_000))])).toBe(true);
    expect((await natsUsers()).agents.some((a) => a.agentName === 'worker-20')).toBe(false);
    await expect(connectNats(await agentNats(cfg.stateDir, reg.natsUrl), { name: 'revoked-again', logger: silentLogger })).rejects.toThrow(/Authorization/i);
    expect(await registered()).not.toContain('worker-20');
    // The agent keeps trying with the token in its agent.yaml (uses left): the tombstone refuses it.
    await session.stop();
    expect(await refusal(agentConfig('worker-20', tok))).toMatch(/worker-20 was revoked \(forgotten by an operator\)/);
    expect(await registered()).not.toContain('worker-20');
    // A token made after the revocation brings it back.
    await register(agentConfig('worker-20', await token('--node-name', 'worker-20')));
    expect(await registered()).toContain('worker-20');
    // A joined node of the deployed spec is removed with remove-node, which cleans the host too.
    await store.cluster('prod').nodes.put('master-0', { name: 'master-0', role: 'control-plane', joined: true });
    expect((await run('nodes', 'forget', 'master-0')).err).toMatch(/master-0 is a joined node of the deployed spec; run `coordinatorctl remove-node master-0`/);
  }, 40_000);

  it('8: a refused or failed Register leaves no NATS user, key or record behind, and spends no token use', async () => {
    const usersBefore = (await natsUsers()).index;
    const tok = await token();
    // An existing name and a spec control-plane name with a worker token: both refused after the token was checked.
    await refusal(agentConfig('worker-5', tok));
    await refusal(agentConfig('master-0', tok));
    const ids = (await store.cluster('prod').tokens.list()).get(tok.split('.')[0]!)?.value;
    expect(ids).toMatchObject({ uses: 0, maxUses: 1 });
    expect((await natsUsers()).index).toEqual(usersBefore);
    // The token still has its one use.
    const first = agentConfig('worker-30', tok);
    await register(first);
    const firstKey = (await natsUsers()).agents.find((a) => a.agentName === 'worker-30')?.publicKey;
    // A host that presents another agent's NATS key (copied from its state dir) fails at the NATS step: nothing of it
    // stays, worker-30 keeps its user, and its token use is given back.
    const copycat = agentConfig('worker-31', await token());
    await mkdir(copycat.stateDir, { recursive: true, mode: 0o700 });
    await copyFile(join(first.stateDir, 'nats.nk'), join(copycat.stateDir, 'nats.nk'));
    expect(await refusal(copycat)).toMatch(/its NATS key is already the key of agent "worker-30"/);
    expect((await natsUsers()).agents.find((a) => a.agentName === 'worker-30')?.publicKey).toBe(firstKey);
    expect((await natsUsers()).agents.some((a) => a.agentName === 'worker-31')).toBe(false);
    expect(await registered()).not.toContain('worker-31');
    expect((await store.cluster('prod').tokens.get(copycat.token.split('.')[0]!))?.value).toMatchObject({ uses: 0 });
  }, 30_000);
});
