/**
 * How the agent stops and starts again around its tasks: the SIGTERM drain (against a real coordinator session), the
 * journal of started tasks reported in Hello, and the removal of a VIP handover hold left by a killed agent.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UnavailableError } from '../core/errors.js';
import { startTestCoordinator, testFacts, TEST_TOKENS, type TestCoordinator } from '../test/support/grpc-testing.js';
import { ScriptedHostOps } from '../test/support/scripted-host.js';
import { AgentSession, type TaskHandlers } from './session-client.js';
import { TASK_JOURNAL_FILE, TaskJournal } from './task-journal.js';
import { removeStaleHold } from './tasks/vip-handover.js';

describe('agent stop: the SIGTERM drain over a real session', () => {
  let coordinator: TestCoordinator;
  let stateRoot: string;
  const sessions: AgentSession[] = [];

  beforeAll(async () => {
    stateRoot = await mkdtemp(join(tmpdir(), 'agent-stop-test-'));
  });
  afterAll(() => rm(stateRoot, { recursive: true, force: true }));
  beforeEach(async () => {
    coordinator = await startTestCoordinator({ hub: { pingIntervalMs: 1_000 } });
  });
  afterEach(async () => {
    await Promise.all(sessions.splice(0).map((s) => s.stop()));
    await coordinator.close();
  });

  async function connectedAgent(name: string, handlers: TaskHandlers, extra: { unfinishedTask?: () => string; journal?: TaskJournal } = {}) {
    const session = new AgentSession({
      config: { coordinator: coordinator.address, token: TEST_TOKENS.any, caCertHash: coordinator.ca.pin, nodeName: name, stateDir: join(stateRoot, name) },
      agentVersion: '0.1.0-test',
      handlers,
      gatherFacts: async () => testFacts(name),
      backoff: { initialMs: 50, maxMs: 300 },
      ...extra,
    });
    sessions.push(session);
    const connected = new Promise((resolve) => session.once('connected', resolve));
    session.start();
    await connected;
    return session;
  }

  it('lets a running kubeadm join finish and answer, aborts a wait as retryable, and refuses a new task without starting it', async () => {
    let finishJoin: () => void = () => undefined;
    let joinStarted: () => void = () => undefined;
    const joinRunning = new Promise<void>((r) => (joinStarted = r));
    let waitStarted: () => void = () => undefined;
    const waitRunning = new Promise<void>((r) => (waitStarted = r));
    let joinAborted = false;
    let resets = 0;
    const session = await connectedAgent('m1', {
      kubeadmJoin: (_args, ctx) =>
        new Promise<void>((resolve) => {
          ctx.signal.addEventListener('abort', () => (joinAborted = true));
          finishJoin = resolve;
          joinStarted();
        }),
      waitApiserver: (_args, ctx) =>
        new Promise((_resolve, reject) => {
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason));
          waitStarted();
        }),
      kubeadmReset: async () => void resets++,
    });
    const progress: string[] = [];
    const join = coordinator.hub.runTask(
      'm1',
      'kubeadmJoin',
      { configPath: '/etc/kubeadm-ha/kubeadm.yaml', ignorePreflightErrors: [] },
      { onProgress: (l) => progress.push(l) },
    );
    const wait = coordinator.hub.runTask('m1', 'waitApiserver', { address: '198.18.0.11', port: 6443, timeoutMs: 60_000 }).catch((e: unknown) => e);
    await Promise.all([joinRunning, waitRunning]);

    const drained = session.drain();
    const refused = await coordinator.hub.runTask('m1', 'kubeadmReset', {}).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(UnavailableError);
    expect((refused as Error).message).toMatch(/the agent is stopping .*kubeadmReset task .* was not started/);
    expect(resets).toBe(0);
    // Any kind: a read is refused as well.
    const read = await coordinator.hub.runTask('m1', 'lbStatus', {}).catch((e: unknown) => e);
    expect(read).toBeInstanceOf(UnavailableError);
    expect((read as Error).message).toMatch(/lbStatus task .* was not started/);
    const aborted = await wait;
    expect(aborted).toBeInstanceOf(UnavailableError);
    expect((aborted as Error).message).toMatch(/waitApiserver .* aborted: the agent is stopping/);

    // The drain is still waiting for the join.
    let done = false;
    void drained.then(() => (done = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(done).toBe(false);
    finishJoin();
    await expect(join).resolves.toBeNull();
    expect(joinAborted).toBe(false);
    const report = await drained;
    expect(report.waited).toEqual([expect.stringMatching(/^kubeadmJoin \(/)]);
    expect(report.aborted).toEqual([expect.stringMatching(/^waitApiserver \(/)]);
    expect(progress).toContain('the agent is stopping: it finishes this task first and takes no new one');
  });

  it("answers a repeat of a running task (a restarted coordinator's) with its result, and runs host-changing tasks one at a time", async () => {
    const started: string[] = [];
    let finishUpgrade: () => void = () => undefined;
    let upgradeStarted: () => void = () => undefined;
    const upgradeRunning = new Promise<void>((r) => (upgradeStarted = r));
    await connectedAgent('m2', {
      kubeadmUpgrade: (args) =>
        new Promise((resolve) => {
          started.push(`kubeadmUpgrade ${args.version}`);
          finishUpgrade = () => resolve({ outputTail: `[upgrade/successful] SUCCESS! ${args.version}` });
          upgradeStarted();
        }),
      installPackages: async (args) => {
        started.push(`installPackages ${args.version}`);
        return { manager: 'apt', lines: [] };
      },
      lbStatus: async () => {
        started.push('lbStatus');
        return { servers: [], appliedVersion: 0 };
      },
    });
    const upgrade = { mode: 'node', version: 'v1.32.0' };
    const first = coordinator.hub.runTask('m2', 'kubeadmUpgrade', upgrade);
    await upgradeRunning;
    const progress: string[] = [];
    const repeat = coordinator.hub.runTask('m2', 'kubeadmUpgrade', upgrade, { onProgress: (l) => progress.push(l) });
    const packages = coordinator.hub.runTask('m2', 'installPackages', { packages: ['kubelet'], version: 'v1.32.0' });
    // A read runs beside it at once.
    await coordinator.hub.runTask('m2', 'lbStatus', {});
    await new Promise((r) => setTimeout(r, 200));
    expect(started).toEqual(['kubeadmUpgrade v1.32.0', 'lbStatus']);
    finishUpgrade();
    const results = await Promise.all([first, repeat, packages]);
    expect(results[0]).toMatchObject({ outputTail: '[upgrade/successful] SUCCESS! v1.32.0' });
    expect(results[1]).toEqual(results[0]);
    expect(started).toEqual(['kubeadmUpgrade v1.32.0', 'lbStatus', 'installPackages v1.32.0']);
    expect(progress.join('\n')).toMatch(/the same kubeadmUpgrade task is already running on this host/);
  });

  /** Agent m2 with a kubeadm upgrade that holds the host until `finishUpgrade`, and a package install behind it. */
  async function upgradeHoldingHost() {
    const started: string[] = [];
    let finish: () => void = () => undefined;
    let upgradeStarted: () => void = () => undefined;
    const upgradeRunning = new Promise<void>((r) => (upgradeStarted = r));
    const session = await connectedAgent('m2', {
      kubeadmUpgrade: () =>
        new Promise((resolve) => {
          started.push('kubeadmUpgrade');
          finish = () => resolve({ outputTail: 'done' });
          upgradeStarted();
        }),
      installPackages: async () => {
        started.push('installPackages');
        return { manager: 'apt', lines: [] };
      },
    });
    return { started, upgradeRunning, session, finishUpgrade: () => finish() };
  }

  it('a task waiting for another on its host times out (or is cancelled) like a running one, and then never runs', async () => {
    const { started, finishUpgrade, upgradeRunning } = await upgradeHoldingHost();
    const first = coordinator.hub.runTask('m2', 'kubeadmUpgrade', { mode: 'node', version: 'v1.32.0' });
    await upgradeRunning;
    await expect(coordinator.hub.runTask('m2', 'installPackages', { packages: ['kubelet'], version: 'v1.32.0' }, { timeoutMs: 300 })).rejects.toThrow(
      'did not finish within 300ms',
    );
    // The agent's own clock and the coordinator's cancel reach the waiting task before the one ahead finishes.
    await new Promise((r) => setTimeout(r, 200));
    finishUpgrade();
    await first;
    await new Promise((r) => setTimeout(r, 300));
    expect(started).toEqual(['kubeadmUpgrade']);
  });

  it('a stop refuses a host-changing task still waiting for another (it has not started) and lets the running one finish', async () => {
    const { started, finishUpgrade, upgradeRunning, session } = await upgradeHoldingHost();
    const upgrade = coordinator.hub.runTask('m2', 'kubeadmUpgrade', { mode: 'node', version: 'v1.32.0' });
    await upgradeRunning;
    const waiting = coordinator.hub.runTask('m2', 'installPackages', { packages: ['kubelet'], version: 'v1.32.0' }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 100));
    const drained = session.drain();
    const refused = await waiting;
    expect(refused).toBeInstanceOf(UnavailableError);
    expect((refused as Error).message).toMatch(/installPackages .* was not started: the agent is stopping/);
    finishUpgrade();
    await expect(upgrade).resolves.toMatchObject({ outputTail: 'done' });
    const report = await drained;
    expect(report.waited).toEqual([expect.stringMatching(/^kubeadmUpgrade \(/)]);
    expect(report.aborted).toEqual([expect.stringMatching(/^installPackages \(/)]);
    expect(started).toEqual(['kubeadmUpgrade']);
  });

  it('journals each task while it runs and reports what an earlier run left in Hello, once', async () => {
    const dir = join(stateRoot, 'w7');
    await rm(dir, { recursive: true, force: true });
    // What a run killed during a join leaves.
    const killed = new TaskJournal(dir);
    await killed.started('task-1', 'kubeadmJoin');
    expect(JSON.parse(await readFile(join(dir, TASK_JOURNAL_FILE), 'utf8'))).toEqual([
      { taskId: 'task-1', kind: 'kubeadmJoin', startedAt: expect.any(String) },
    ]);

    const journal = new TaskJournal(dir);
    let unfinished = await journal.takeLeftover();
    expect(unfinished).toMatch(/^kubeadmJoin \(task-1\), started \d{4}-/);
    expect(await journal.takeLeftover()).toBe('');
    let seenInJournal = '';
    const session = await connectedAgent(
      'w7',
      {
        writeFiles: async () => {
          seenInJournal = await readFile(join(dir, TASK_JOURNAL_FILE), 'utf8');
          return { changedPaths: [] };
        },
        verifyClean: async () => {
          seenInJournal = await readFile(join(dir, TASK_JOURNAL_FILE), 'utf8').catch(() => 'no journal');
          return { leftovers: [] };
        },
      },
      { unfinishedTask: () => unfinished, journal },
    );
    expect(coordinator.hub.connectedAgents().find((a) => a.name === 'w7')?.unfinishedTask).toMatch(/^kubeadmJoin \(task-1\)/);
    unfinished = '';
    await coordinator.hub.runTask('w7', 'writeFiles', { files: [], removePaths: [] });
    expect(seenInJournal).toContain('"kind":"writeFiles"');
    // Answered: the journal is empty again, so the next start reports nothing.
    await expect(readFile(join(dir, TASK_JOURNAL_FILE), 'utf8')).rejects.toThrow(/ENOENT/);
    // A read-only task is not journaled: killed, it changed nothing.
    await coordinator.hub.runTask('w7', 'verifyClean', { paths: [], vip: '' });
    expect(seenInJournal).toBe('no journal');
    await session.stop();
  });
});

describe('removeStaleHold', () => {
  let host: ScriptedHostOps;
  afterEach(() => host?.dispose());

  it('deletes our handover table when an earlier agent left it, and nothing else', async () => {
    host = new ScriptedHostOps();
    host.on('nft list table inet kubeadm_ha_vip_handover', { stdout: 'table inet kubeadm_ha_vip_handover {\n}\n' });
    expect(await removeStaleHold(host)).toBe(true);
    expect(host.calls).toEqual(['nft list table inet kubeadm_ha_vip_handover', 'nft delete table inet kubeadm_ha_vip_handover']);
  });

  it('leaves the firewall alone when there is no hold, or no nft', async () => {
    host = new ScriptedHostOps();
    host.on(/^nft list /, { exitCode: 1, stderr: 'Error: No such file or directory; did you mean table ‘filter’ in family ip?' });
    expect(await removeStaleHold(host)).toBe(false);
    host.on(/^nft /, { exitCode: -1, stderr: 'spawn nft ENOENT' });
    expect(await removeStaleHold(host)).toBe(false);
    expect(host.calls.every((c) => c.startsWith('nft list '))).toBe(true);
  });
});

describe('TaskJournal', () => {
  it('many tasks at once: each start resolves once the file holds it, each finish once it is gone, the last list wins', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'journal-'));
    try {
      const journal = new TaskJournal(dir);
      const ids = Array.from({ length: 100 }, (_, i) => `task-${i}`);
      const onDisk = async () => JSON.parse(await readFile(join(dir, TASK_JOURNAL_FILE), 'utf8').catch(() => '[]')) as { taskId: string }[];
      const seenAtStart = await Promise.all(
        ids.map(async (id) => {
          await journal.started(id, 'kubeadmJoin');
          return (await onDisk()).some((e) => e.taskId === id);
        }),
      );
      expect(seenAtStart.every(Boolean)).toBe(true);
      expect((await onDisk()).length).toBe(100);
      const goneAtFinish = await Promise.all(
        ids.slice(0, 60).map(async (id) => {
          await journal.finished(id);
          return !(await onDisk()).some((e) => e.taskId === id);
        }),
      );
      expect(goneAtFinish.every(Boolean)).toBe(true);
      expect((await onDisk()).map((e) => e.taskId).sort()).toEqual(ids.slice(60).sort());
      await Promise.all(ids.slice(60).map((id) => journal.finished(id)));
      await expect(readFile(join(dir, TASK_JOURNAL_FILE), 'utf8')).rejects.toThrow(/ENOENT/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a start whose write failed leaves no entry behind for later lists', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'journal-'));
    try {
      const journal = new TaskJournal(dir);
      // A non-empty directory where the file goes: the atomic rename fails.
      await mkdir(join(dir, TASK_JOURNAL_FILE, 'x'), { recursive: true });
      await expect(journal.started('never-ran', 'kubeadmJoin')).rejects.toThrow();
      await rm(join(dir, TASK_JOURNAL_FILE), { recursive: true });
      await journal.started('ran', 'writeFiles');
      const listed = JSON.parse(await readFile(join(dir, TASK_JOURNAL_FILE), 'utf8')) as { taskId: string }[];
      expect(listed.map((e) => e.taskId)).toEqual(['ran']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a damaged journal still counts as an unfinished task', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'journal-'));
    try {
      await writeFile(join(dir, TASK_JOURNAL_FILE), '{not json');
      expect(await new TaskJournal(dir).takeLeftover()).toMatch(/unknown \(damaged journal\)/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
