import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CommandError, KubeadmHaError, PreconditionError, TimeoutError } from '../core/errors.js';
import { AgentSession, registerAgent, type TaskHandlers } from '../test/support/agent-side.js';
import { agentClient, startTestCoordinator, testFacts, TEST_TOKENS, type TestCoordinator } from '../test/support/grpc-testing.js';
import type { WaitProgress } from './workflow/ports.js';

function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('SessionHub with real agents over mTLS', () => {
  let coordinator: TestCoordinator;
  let stateRoot: string;
  const agents: AgentSession[] = [];

  async function startAgent(name: string, handlers: TaskHandlers, opts: { lbVersion?: number } = {}): Promise<AgentSession> {
    const agent = new AgentSession({
      config: { coordinator: coordinator.address, token: TEST_TOKENS.any, caCertHash: coordinator.ca.pin, nodeName: name, stateDir: join(stateRoot, name) },
      agentVersion: '0.1.0-test',
      handlers,
      gatherFacts: async () => testFacts(name),
      appliedLbVersion: () => opts.lbVersion ?? 0,
      backoff: { initialMs: 50, maxMs: 200 },
    });
    agents.push(agent);
    const connected = new Promise<void>((resolve) => agent.once('connected', () => resolve()));
    agent.start();
    await connected;
    return agent;
  }

  beforeAll(async () => {
    stateRoot = await mkdtemp(join(tmpdir(), 'sessions-test-'));
  });
  afterAll(() => rm(stateRoot, { recursive: true, force: true }));
  beforeEach(async () => {
    coordinator = await startTestCoordinator({ hub: { pingIntervalMs: 1_000 } });
  });
  afterEach(async () => {
    await Promise.all(agents.splice(0).map((a) => a.stop()));
    await coordinator.close();
  });

  it('runs a task round trip: typed args down, progress lines and a typed result back', async () => {
    let received: unknown;
    await startAgent('master-0', {
      createJoinToken: async (args, ctx) => {
        received = args;
        ctx.progress('kubeadm token create --config /etc/kubeadm-ha/kubeadm.yaml --ttl 15m0s');
        ctx.progress('created token abcdef.0123456789abcdef');
        ctx.progress('done');
        return { endpoint: '198.18.0.100:8443', token: 'abcdef.0123456789abcdef', caCertHash: `sha256:${'a'.repeat(64)}` };
      },
    });
    const lines: string[] = [];
    const result = await coordinator.hub.runTask(
      'master-0',
      'createJoinToken',
      { configPath: '/etc/kubeadm-ha/kubeadm.yaml', ttlSeconds: 900 },
      { onProgress: (l) => lines.push(l), timeoutMs: 10_000 },
    );
    expect(received).toEqual({ configPath: '/etc/kubeadm-ha/kubeadm.yaml', ttlSeconds: 900 });
    expect(result).toEqual({ endpoint: '198.18.0.100:8443', token: 'abcdef.0123456789abcdef', caCertHash: `sha256:${'a'.repeat(64)}` });
    // Progress is redacted by the agent on the way out; the result travels intact over mTLS.
    expect(lines).toEqual(['kubeadm token create --config /etc/kubeadm-ha/kubeadm.yaml --ttl 15m0s', 'created token abcdef.<redacted>', 'done']);
  });

  it('resolves null for kinds without a result and passes bytes and modes through WriteFiles', async () => {
    let got: { path: string; mode: number; content: Buffer }[] = [];
    await startAgent('w1', {
      writeFiles: async (args) => {
        got = args.files.map((f) => ({ path: f.path, mode: f.mode, content: f.content }));
        return { changedPaths: args.files.map((f) => f.path) };
      },
      stopLoadBalancer: async () => undefined,
    });
    const content = Buffer.from([0, 1, 2, 255]);
    expect(await coordinator.hub.runTask('w1', 'writeFiles', { files: [{ path: '/var/lib/kubelet/config.json', mode: 0o600, content }] })).toEqual({
      changedPaths: ['/var/lib/kubelet/config.json'],
    });
    expect(got).toEqual([{ path: '/var/lib/kubelet/config.json', mode: 0o600, content }]);
    expect(await coordinator.hub.runTask('w1', 'stopLoadBalancer', {})).toBeNull();
  });

  it('rebuilds a failed command as CommandError with command, exit code, stderr tail and the host', async () => {
    await startAgent('master-1', {
      kubeadmJoin: async () => {
        throw new CommandError(
          'kubeadm join 198.18.0.100:8443 --config /etc/kubeadm-ha/join.yaml',
          1,
          '[ERROR DirAvailable--etc-kubernetes-manifests]: /etc/kubernetes/manifests is not empty',
        );
      },
    });
    const err = await coordinator.hub
      .runTask('master-1', 'kubeadmJoin', { configPath: '/etc/kubeadm-ha/join.yaml' }, { phase: 'join-control-plane' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    const ce = err as CommandError;
    expect(ce.command).toBe('kubeadm join 198.18.0.100:8443 --config /etc/kubeadm-ha/join.yaml');
    expect(ce.exitCode).toBe(1);
    expect(ce.stderrTail).toMatch(/DirAvailable/);
    expect(ce.host).toBe('master-1');
    expect(ce.phase).toBe('join-control-plane');
    expect(ce.message).toBe(
      'join-control-plane: master-1: kubeadm join 198.18.0.100:8443 --config /etc/kubeadm-ha/join.yaml exited 1: [ERROR DirAvailable--etc-kubernetes-manifests]: /etc/kubernetes/manifests is not empty',
    );
  });

  it('fails an in-flight task with a clear error when the agent stream drops', async () => {
    const started = deferred();
    const agent = await startAgent('worker-2', {
      kubeadmReset: async (_args, ctx) => {
        started.resolve();
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
      },
    });
    const running = coordinator.hub.runTask('worker-2', 'kubeadmReset', {}).catch((e: unknown) => e);
    await started.promise;
    const disconnected = new Promise((resolve) => coordinator.hub.once('disconnect', resolve));
    await agent.stop();
    const err = await running;
    expect(err).toBeInstanceOf(KubeadmHaError);
    expect((err as KubeadmHaError).host).toBe('worker-2');
    expect((err as Error).message).toMatch(
      /^worker-2: the session dropped while task kubeadmReset \(.+\) was running \(.+\); its outcome on the host is unknown$/,
    );
    expect(await disconnected).toMatchObject({ name: 'worker-2' });
    expect(coordinator.hub.isConnected('worker-2')).toBe(false);
  });

  it('times out a task, tells the agent to cancel it, and reports a TimeoutError with the host', async () => {
    const cancelled = deferred<string>();
    await startAgent('worker-3', {
      waitApiserver: async (_args, ctx) => {
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
        cancelled.resolve(String((ctx.signal.reason as Error).message));
        return { elapsedMs: 0 };
      },
    });
    const err = await coordinator.hub
      .runTask('worker-3', 'waitApiserver', { address: '198.18.0.10', port: 6443, timeoutMs: 60_000 }, { timeoutMs: 300 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as TimeoutError).message).toBe('worker-3: task waitApiserver did not finish within 300ms');
    // Either the coordinator's Cancel or the agent's own copy of the deadline stops it.
    expect(await cancelled.promise).toMatch(/cancelled by the coordinator|timeout/);
  });

  it('cancels through an AbortSignal', async () => {
    const cancelled = deferred();
    await startAgent('worker-4', {
      kubectlDrainDelete: async (_args, ctx) => {
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
        cancelled.resolve();
      },
    });
    const controller = new AbortController();
    const running = coordinator.hub.runTask('worker-4', 'kubectlDrainDelete', { nodeName: 'worker-9' }, { signal: controller.signal }).catch((e: unknown) => e);
    setTimeout(() => controller.abort(new KubeadmHaError('operator pressed ^C')), 100);
    expect(((await running) as Error).message).toBe('operator pressed ^C');
    await cancelled.promise;
  });

  it('says which agent cannot run a kind it has no handler for, and refuses tasks for agents that are not connected', async () => {
    await startAgent('worker-5', {});
    const err = await coordinator.hub.runTask('worker-5', 'lbStatus', {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PreconditionError);
    expect((err as Error).message).toBe('worker-5: this agent (0.1.0-test) cannot run lbStatus tasks');
    const offline = await coordinator.hub.runTask('ghost', 'lbStatus', {}).catch((e: unknown) => e);
    expect(offline).toBeInstanceOf(PreconditionError);
    expect((offline as Error).message).toBe('ghost: agent is not connected; cannot run lbStatus');
  });

  it('waits for agents, reporting who is missing, and times out naming them', async () => {
    const reports: WaitProgress[] = [];
    const waiting = coordinator.hub.waitForAgents(['a-1', 'a-2'], { onProgress: (p) => reports.push(p), timeoutMs: 20_000 });
    await startAgent('a-1', {});
    await startAgent('a-2', {});
    await waiting;
    expect(reports.map((r) => r.message)).toEqual(['0/2 agents connected; missing: a-1, a-2', '1/2 agents connected; missing: a-2', '2/2 agents connected']);

    const err = await coordinator.hub.waitForAgents(['a-1', 'a-3', 'a-4'], { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toBe(
      '1/3 agents connected; missing: a-3, a-4 after 200ms; check that kubeadm-ha-agent runs on those hosts and that its bootstrap token is valid',
    );
  });

  it('drops an agent that stops answering pings (half-open connection) and fails its tasks', async () => {
    const reg = await registerAgent(
      { coordinator: coordinator.address, token: TEST_TOKENS.any, caCertHash: coordinator.ca.pin, nodeName: 'silent', stateDir: join(stateRoot, 'silent') },
      { agentVersion: 'raw', facts: testFacts('silent') },
    );
    const client = agentClient(coordinator.address, reg);
    const call = client.session();
    call.on('error', () => {});
    call.on('data', () => {}); // reads pings, never answers
    const connected = new Promise((resolve) => coordinator.hub.once('connect', resolve));
    call.write({ hello: { agentName: 'silent', agentVersion: 'raw' } });
    await connected;
    const task = coordinator.hub.runTask('silent', 'lbStatus', {}).catch((e: unknown) => e);
    const started = Date.now();
    const gone = await new Promise<{ name: string; reason: string }>((resolve) => coordinator.hub.once('disconnect', resolve));
    expect(gone.name).toBe('silent');
    expect(gone.reason).toMatch(/^no message for \d+s$/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    expect(((await task) as Error).message).toMatch(/^silent: the session dropped while task lbStatus/);
    call.cancel();
    client.close();
  });

  it('tracks the backend-set version each agent has live, from Hello and from LbApplied', async () => {
    const agent = await startAgent('master-2', {}, { lbVersion: 4 });
    expect(coordinator.hub.appliedLbVersions().get('master-2')).toBe(4);
    const applied = new Promise((resolve) => coordinator.hub.once('lbApplied', resolve));
    agent.reportLbApplied(7);
    expect(await applied).toEqual({ name: 'master-2', version: 7 });
    expect(coordinator.hub.appliedLbVersions().get('master-2')).toBe(7);
    expect(coordinator.hub.connectedAgents().map((a) => [a.name, a.agentVersion, a.facts?.hostname])).toEqual([['master-2', '0.1.0-test', 'master-2']]);
  });
});

describe('SessionHub refuses applied backend-set versions that were never published', () => {
  let coordinator: TestCoordinator;
  let stateRoot: string;
  let published = 5;
  const warnings: { msg: string; host?: string; reportedVersion?: number; publishedVersion?: number; via?: string }[] = [];
  let agent: AgentSession | undefined;

  beforeAll(async () => {
    stateRoot = await mkdtemp(join(tmpdir(), 'sessions-lb-test-'));
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
          const entry = JSON.parse(line) as (typeof warnings)[number] & { level: number };
          if (entry.level >= 40) warnings.push(entry);
        }
        done();
      },
    });
    coordinator = await startTestCoordinator({ hub: { publishedLbVersion: async () => published, logger: pino({ level: 'info' }, sink) } });
  });
  afterAll(async () => {
    await agent?.stop();
    await coordinator.close();
    await rm(stateRoot, { recursive: true, force: true });
  });

  async function until(what: string, check: () => boolean): Promise<void> {
    for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
    if (!check()) throw new Error(`timed out waiting for ${what}`);
  }

  it('ignores a Hello or LbApplied above the published version, logs the agent and both versions, and keeps the truthful one', async () => {
    agent = new AgentSession({
      config: {
        coordinator: coordinator.address,
        token: TEST_TOKENS.any,
        caCertHash: coordinator.ca.pin,
        nodeName: 'master-1',
        stateDir: join(stateRoot, 'm1'),
      },
      agentVersion: '0.1.0-test',
      handlers: {},
      gatherFacts: async () => testFacts('master-1'),
      appliedLbVersion: () => 999_999,
      backoff: { initialMs: 50, maxMs: 200 },
    });
    const connected = new Promise<void>((resolve) => agent?.once('connected', () => resolve()));
    agent.start();
    await connected;
    await until('the Hello warning', () => warnings.some((w) => w.via === 'Hello'));
    expect(warnings.find((w) => w.via === 'Hello')).toMatchObject({ host: 'master-1', reportedVersion: 999_999, publishedVersion: 5 });
    expect(coordinator.hub.appliedLbVersions().has('master-1')).toBe(false);

    const events: { name: string; version: number }[] = [];
    coordinator.hub.on('lbApplied', (e) => events.push(e));
    agent.reportLbApplied(6);
    await until('the LbApplied warning', () => warnings.some((w) => w.via === 'LbApplied'));
    expect(warnings.find((w) => w.via === 'LbApplied')).toMatchObject({ host: 'master-1', reportedVersion: 6, publishedVersion: 5 });
    expect(warnings.find((w) => w.via === 'LbApplied')?.msg).toMatch(/master-1 reports backend set v6 applied, but the published version is v5/);
    expect(events).toEqual([]);

    agent.reportLbApplied(5);
    await until('the truthful report', () => events.length === 1);
    expect(events).toEqual([{ name: 'master-1', version: 5 }]);
    expect(coordinator.hub.appliedLbVersions().get('master-1')).toBe(5);

    // Once v6 is published, the same report counts.
    published = 6;
    agent.reportLbApplied(6);
    await until('v6', () => events.length === 2);
    expect(coordinator.hub.appliedLbVersions().get('master-1')).toBe(6);
  });
});
