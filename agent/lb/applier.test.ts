/**
 * The backend applier against a real haproxy 2.6 in master-worker mode on loopback, configured by the product renderer,
 * in front of HTTPS stand-ins for kube-apiservers. Every assertion reads haproxy's own state (`show servers state`,
 * `show stat`, `show proc`) or the file on disk.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTcpServer } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, BackendSet } from '../../core/backend-set.js';
import { CommandError, PreconditionError, ReloadRejectedError } from '../../core/errors.js';
import { readBackendSetVersion } from '../../core/lb/config-version.js';
import type { RuntimeServer } from '../../core/lb/runtime-output.js';
import { silentLogger } from '../../lib/log.js';
import { LocalHostOps } from '../hostops.js';
import {
  ADMIN_SOCKET,
  CONFIG_PATH,
  HAPROXY_BINARY,
  HaproxyTestbed,
  MASTER_SOCKET,
  PID_FILE,
  backendSet,
  type FakeApiserver,
} from '../../test/bench/haproxy-testbed.js';
import { createBackendApplier, type ApplyOutcome, type BackendApplierOptions, type RuntimeAppliedEvent } from './applier.js';
import { createBackendSetMailbox, type BackendSetMailbox, type Offered } from './backend-mailbox.js';
import type { HaproxyApi, HaproxySession } from './haproxy-api.js';

interface Follower {
  apply(set: BackendSet): Promise<Offered<ApplyOutcome>>;
  appliedVersion(): number | undefined;
}

const mailboxes: BackendSetMailbox<ApplyOutcome>[] = [];

/**
 * The agent's chain without the watch: the mailbox decides which set goes next, the applier applies it. The mailbox
 * retries a failed set on its own; here only the next offer of it does (the backoff outlasts the suite), so that a
 * failing applier of one test never touches haproxy during another.
 */
async function follow(options: BackendApplierOptions): Promise<Follower> {
  const applier = await createBackendApplier(options);
  const mailbox = createBackendSetMailbox<ApplyOutcome>({
    deliver: (set, superseded) => applier.apply(set, superseded),
    appliedVersion: applier.appliedVersion(),
    backoff: { initialMs: 600_000, maxMs: 600_000 },
    logger: silentLogger,
  });
  mailboxes.push(mailbox);
  return { apply: (set) => mailbox.offer(set), appliedVersion: () => applier.appliedVersion() };
}

async function waitUntil(probe: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await probe()) return true;
    await sleep(50);
  }
  return probe();
}

/** A keep-alive connection through haproxy, left open like a watch; resolves with it and the node that answered. */
async function holdConnection(bed: HaproxyTestbed): Promise<{ socket: TLSSocket; node: string; closed: Promise<void> }> {
  const socket = tlsConnect({ host: '127.0.0.1', port: bed.frontendPort, rejectUnauthorized: false });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => socket.once('secureConnect', () => resolve()).once('error', reject));
  socket.write('GET / HTTP/1.1\r\nHost: kube-apiserver\r\n\r\n');
  let text = '';
  for (let i = 0; i < 100 && !/\r\n\r\n.+$/s.test(text); i++) {
    const chunk = await new Promise<string>((resolve) => socket.once('data', (d: Buffer) => resolve(d.toString('utf8'))));
    text += chunk;
  }
  const node = text.split('\r\n\r\n')[1]!.trim();
  return { socket, node, closed };
}

describe.skipIf(!HAPROXY_BINARY)('backend applier (real haproxy, master-worker)', () => {
  let bed: HaproxyTestbed;
  const api: Record<string, FakeApiserver> = {};
  let applier: Follower;
  const applied: number[] = [];
  const events: RuntimeAppliedEvent[] = [];
  const held: TLSSocket[] = [];
  let current: Backend[] = [];
  let version = 1;
  const DRAIN_MS = 1500;

  const options = (): BackendApplierOptions => ({
    host: bed.host,
    socketPath: ADMIN_SOCKET,
    masterSocketPath: MASTER_SOCKET,
    configPath: CONFIG_PATH,
    render: bed.render,
    addServerCommand: bed.addServerCommand,
    drainTimeoutMs: DRAIN_MS,
    drainPollMs: 50,
    logger: silentLogger,
    onApplied: (v) => {
      applied.push(v);
    },
    onRuntimeApplied: (e) => events.push(e),
  });

  const next = (backends: Backend[]): BackendSet => {
    current = backends;
    return backendSet(++version, backends);
  };
  const without = (name: string) => current.filter((b) => b.name !== name);
  const live = async () => new Map((await bed.runtime.showServersState('kube-apiserver')).map((s) => [s.name, s]));
  const fileVersion = () => readBackendSetVersion(readFileSync(bed.real(CONFIG_PATH), 'utf8'));

  beforeAll(async () => {
    bed = await HaproxyTestbed.create('applier');
    for (const name of ['master-0', 'master-1', 'master-2', 'master-3', 'master-4', 'master-5']) api[name] = await bed.startApiserver(name);
    current = ['master-0', 'master-1', 'master-2'].map((n) => bed.backendOf(api[n]!));
    await bed.writeConfig(backendSet(version, current));
    await bed.startHaproxy();
    applier = await follow(options());
  });

  afterAll(async () => {
    for (const mailbox of mailboxes.splice(0)) await mailbox.close();
    for (const s of held) s.destroy();
    await bed?.close();
  });

  it('continues from the version haproxy.cfg holds', () => {
    expect(applier.appliedVersion()).toBe(1);
  });

  it('adds a server live: four servers, the new one goes UP through its health check and takes requests', async () => {
    const set = next([...current, bed.backendOf(api['master-3']!)]);
    expect(await applier.apply(set)).toBe('applied');
    const servers = await live();
    expect([...servers.keys()].sort()).toEqual(['master-0', 'master-1', 'master-2', 'master-3']);
    expect(servers.get('master-3')).toMatchObject({ address: '127.0.0.1', port: api['master-3']!.port, admin: 'ready', checkEnabled: true });
    const up = await waitUntil(async () => (await bed.runtime.serverSessions('kube-apiserver')).get('master-3')?.status === 'UP', 5000);
    expect(up).toBe(true);
    const answered = new Set<string>();
    for (let i = 0; i < 12; i++) answered.add(await bed.request());
    expect(answered.has('master-3')).toBe(true);
    expect(applied).toEqual([2]);
    expect(applier.appliedVersion()).toBe(2);
    expect(events.at(-1)).toMatchObject({ version: 2, commands: 3 });
    expect(fileVersion()).toBe(2);
    expect(readFileSync(bed.real(CONFIG_PATH), 'utf8')).toContain(`server master-3 127.0.0.1:${api['master-3']!.port} check`);
  });

  it('drains a server: maintenance, and no new request reaches it', async () => {
    const set = next(current.map((b) => (b.name === 'master-1' ? { ...b, state: 'draining' as const } : b)));
    expect(await applier.apply(set)).toBe('applied');
    expect((await live()).get('master-1')?.admin).toBe('maint');
    const before = api['master-1']!.served;
    for (let i = 0; i < 12; i++) await bed.request();
    expect(api['master-1']!.served).toBe(before);
    expect(readFileSync(bed.real(CONFIG_PATH), 'utf8')).toMatch(new RegExp(`server master-1 127\\.0\\.0\\.1:${api['master-1']!.port} .* disabled$`, 'm'));
  });

  it('removes a drained server without waiting for the drain timeout when nothing is attached', async () => {
    const started = Date.now();
    expect(await applier.apply(next(without('master-1')))).toBe('applied');
    expect(Date.now() - started).toBeLessThan(DRAIN_MS);
    expect([...(await live()).keys()].sort()).toEqual(['master-0', 'master-2', 'master-3']);
    expect(applied).toEqual([2, 3, 4]);
  });

  it('ignores versions that are not newer, whatever order they come in', async () => {
    expect(await applier.apply(backendSet(3, current))).toBe('stale');
    expect(await applier.apply(backendSet(4, []))).toBe('stale');
    expect(await applier.apply(backendSet(2, []))).toBe('stale');
    expect([...(await live()).keys()].sort()).toEqual(['master-0', 'master-2', 'master-3']);
    expect(applied).toEqual([2, 3, 4]);
  });

  it('a newer version supersedes a queued one; duplicates join or are stale', async () => {
    const v5 = next([...current, bed.backendOf(api['master-4']!)]);
    const v6 = next([...current, bed.backendOf(api['master-5']!)]);
    const v7 = next(current.map((b) => (b.name === 'master-4' ? { ...b, state: 'draining' as const } : b)));
    const outcomes = await Promise.all([applier.apply(v5), applier.apply(v6), applier.apply(v7), applier.apply(v6), applier.apply(v7)]);
    expect(outcomes).toEqual(['applied', 'stale', 'applied', 'stale', 'applied']);
    expect(applied).toEqual([2, 3, 4, 5, 7]);
    const servers = await live();
    expect([...servers.keys()].sort()).toEqual(['master-0', 'master-2', 'master-3', 'master-4', 'master-5']);
    expect(servers.get('master-4')?.admin).toBe('maint');
    expect(servers.get('master-5')?.admin).toBe('ready');
    expect(fileVersion()).toBe(7);
  });

  it('an address change replaces the server under the same name', async () => {
    const moved = await bed.startApiserver('master-2');
    const set = next(current.map((b) => (b.name === 'master-2' ? { ...b, port: moved.port } : b)));
    expect(await applier.apply(set)).toBe('applied');
    const servers = await live();
    expect(servers.get('master-2')).toMatchObject({ port: moved.port, admin: 'ready', checkEnabled: true });
    const reached = await waitUntil(async () => (await bed.request()) === 'master-2' && moved.served > 0, 5000);
    expect(reached).toBe(true);
  });

  it('a removed server holding a session is deleted after the drain timeout, its session shut down', async () => {
    const hold = await holdConnection(bed);
    held.push(hold.socket);
    expect(current.map((b) => b.name)).toContain(hold.node);
    const started = Date.now();
    expect(await applier.apply(next(without(hold.node)))).toBe('applied');
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(DRAIN_MS - 100);
    expect(took).toBeLessThan(DRAIN_MS + 3000);
    await hold.closed;
    expect((await live()).has(hold.node)).toBe(false);
    expect(applied.at(-1)).toBe(version);
  });

  it('a newer version interrupts a drain wait, and the drain clock keeps running across versions', async () => {
    const hold = await holdConnection(bed);
    held.push(hold.socket);
    const started = Date.now();
    const removal = applier.apply(next(without(hold.node)));
    await sleep(300);
    const reactivated = next(current.map((b) => (b.name === 'master-4' ? { ...b, state: 'active' as const } : b)));
    const newer = applier.apply(reactivated);
    expect(await removal).toBe('stale');
    expect(Date.now() - started).toBeLessThan(DRAIN_MS);
    expect(await newer).toBe('applied');
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(DRAIN_MS - 100);
    expect(took).toBeLessThan(DRAIN_MS + 1500);
    const servers = await live();
    expect(servers.has(hold.node)).toBe(false);
    expect(servers.get('master-4')?.admin).toBe('ready');
    expect(applied.at(-1)).toBe(version);
    expect(applied).not.toContain(version - 1);
  });

  it('the file on disk passes haproxy -c, and haproxy restarted from it runs the same servers', async () => {
    const check = bed.checkConfigFile();
    expect(check.ok, check.output).toBe(true);
    const snapshot = (m: Awaited<ReturnType<typeof live>>) => [...m.values()].map((s) => [s.name, s.address, s.port, s.admin]).sort();
    const before = snapshot(await live());
    await bed.stopHaproxy();
    await bed.startHaproxy();
    expect(snapshot(await live())).toEqual(before);
    const restarted = await follow({ ...options(), onApplied: () => undefined });
    expect(restarted.appliedVersion()).toBe(version);
  });

  it('falls back to a reload through the master CLI when the runtime API refuses the change', async () => {
    // A keyword haproxy accepts in the file but not for a dynamic server.
    bed.extraServerArguments.set('master-1', 'init-addr libc,none');
    const procs = await bed.master.showProc();
    const set = next([...current, bed.backendOf(api['master-1']!)]);
    expect(await applier.apply(set)).toBe('reloaded');
    const after = await bed.master.showProc();
    expect(after.master.reloads).toBe(procs.master.reloads + 1);
    expect(after.master.failedReloads).toBe(procs.master.failedReloads);
    expect(await bed.runtime.workerPid()).toBe(after.workers[0]?.pid);
    const servers = await live();
    expect([...servers.keys()].sort()).toEqual(current.map((b) => b.name).sort());
    expect(servers.get('master-1')).toMatchObject({ port: api['master-1']!.port, admin: 'ready' });
    expect(applied.at(-1)).toBe(version);
    expect(fileVersion()).toBe(version);
  });

  it('falls back to SIGUSR2 to the master pid when there is no master CLI', async () => {
    // A master CLI that does not answer (as under Debian's systemd unit, which has none): the pid file is next.
    const other = await follow({ ...options(), masterSocketPath: '/run/haproxy/no-master.sock', pidFile: PID_FILE });
    expect(other.appliedVersion()).toBe(version);
    const m6 = await bed.startApiserver('master-6');
    bed.extraServerArguments.set('master-6', 'init-addr libc,none');
    const pidBefore = await bed.runtime.workerPid();
    const reloadsBefore = (await bed.master.showProc()).master.reloads;
    expect(await other.apply(next([...current, bed.backendOf(m6)]))).toBe('reloaded');
    expect(await bed.runtime.workerPid()).not.toBe(pidBefore);
    expect((await bed.master.showProc()).master.reloads).toBe(reloadsBefore + 1);
    expect((await live()).get('master-6')).toMatchObject({ port: m6.port, admin: 'ready' });
    applier = other;
  });

  it('a rendered file that fails haproxy -c is neither written nor reported', async () => {
    const broken = await follow({ ...options(), render: (set) => `${bed.render(set)}\n    no-such-keyword on\n` });
    const fileBefore = fileVersion();
    const reported = applied.length;
    const err = await broken.apply(next(current.map((b) => (b.name === 'master-5' ? { ...b, state: 'draining' as const } : b)))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect((err as CommandError).message).toMatch(/haproxy -c -f \/etc\/haproxy\/haproxy\.cfg .*no-such-keyword/s);
    expect(fileVersion()).toBe(fileBefore);
    expect(applied.length).toBe(reported);
    expect(broken.appliedVersion()).toBe(fileBefore);
    expect(bed.checkConfigFile().ok).toBe(true);
  });

  it('when haproxy rejects the reload, the previous file is put back and the old worker keeps serving', async () => {
    // A listener on a port someone else holds: haproxy -c does not bind, the new worker cannot start.
    const busy = createTcpServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    try {
      const port = (busy.address() as { port: number }).port;
      const rejecting = await follow({ ...options(), render: (set) => `${bed.render(set)}\nfrontend extra\n    bind 127.0.0.1:${port}\n` });
      const m7 = await bed.startApiserver('master-7');
      bed.extraServerArguments.set('master-7', 'init-addr libc,none');
      const before = await readFile(bed.real(CONFIG_PATH), 'utf8');
      const procs = await bed.master.showProc();
      const worker = await bed.runtime.workerPid();
      const err = await rejecting.apply(next([...current, bed.backendOf(m7)])).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ReloadRejectedError);
      expect((await bed.master.showProc()).master.failedReloads).toBe(procs.master.failedReloads + 1);
      expect(await bed.runtime.workerPid()).toBe(worker);
      expect(await readFile(bed.real(CONFIG_PATH), 'utf8')).toBe(before);
      expect(await bed.request()).toMatch(/^master-/);
    } finally {
      await new Promise<void>((resolve) => busy.close(() => resolve()));
    }
  });

  it('with haproxy stopped, writes the checked file and fails; once haproxy is back the same version is reported', async () => {
    await bed.stopHaproxy();
    const set = next(without('master-6'));
    const reported = applied.at(-1);
    const err = await applier.apply(set).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PreconditionError);
    expect(applied.at(-1)).toBe(reported);
    expect(fileVersion()).toBe(version);
    await bed.startHaproxy();
    expect([...(await live()).keys()]).not.toContain('master-6');
    expect(await applier.apply(set)).toBe('applied');
    expect(applied.at(-1)).toBe(version);
  });
});

describe.skipIf(!HAPROXY_BINARY)('no dropped connections while servers are added and removed', () => {
  let bed: HaproxyTestbed;
  const api: Record<string, FakeApiserver> = {};

  beforeAll(async () => {
    bed = await HaproxyTestbed.create('nodrop');
    for (const name of ['master-0', 'master-1', 'master-2', 'master-3']) api[name] = await bed.startApiserver(name);
    await bed.writeConfig(
      backendSet(
        1,
        ['master-0', 'master-1', 'master-2'].map((n) => bed.backendOf(api[n]!)),
      ),
    );
    await bed.startHaproxy();
  });

  afterAll(async () => {
    await bed?.close();
  });

  it('300 requests on new connections over ~3 s, none fails', async () => {
    const applier = await createBackendApplier({
      host: bed.host,
      socketPath: ADMIN_SOCKET,
      masterSocketPath: MASTER_SOCKET,
      configPath: CONFIG_PATH,
      render: bed.render,
      addServerCommand: bed.addServerCommand,
      drainTimeoutMs: 2000,
      drainPollMs: 50,
      logger: silentLogger,
      onApplied: () => undefined,
    });
    const b = (name: string, state: Backend['state'] = 'active') => bed.backendOf(api[name]!, state);
    const failures: string[] = [];
    const answers: { node: string; at: number }[] = [];
    const loop = async () => {
      for (let i = 0; i < 100; i++) {
        try {
          answers.push({ node: await bed.request(), at: Date.now() });
        } catch (err) {
          failures.push((err as Error).message);
        }
        await sleep(25);
      }
    };
    const load = Promise.all([loop(), loop(), loop()]);
    await sleep(500);
    expect(await applier.apply(backendSet(2, [b('master-0'), b('master-1'), b('master-2'), b('master-3')]))).toBe('applied');
    await sleep(500);
    expect(await applier.apply(backendSet(3, [b('master-0', 'draining'), b('master-1'), b('master-2'), b('master-3')]))).toBe('applied');
    await sleep(300);
    expect(await applier.apply(backendSet(4, [b('master-1'), b('master-2'), b('master-3')]))).toBe('applied');
    const removedAt = Date.now();
    await load;
    expect(failures).toEqual([]);
    expect(answers.length).toBe(300);
    expect(api['master-3']!.served).toBeGreaterThan(0);
    expect(answers.filter((a) => a.node === 'master-0' && a.at > removedAt)).toEqual([]);
    expect(answers.some((a) => a.at > removedAt)).toBe(true);
  });
});

describe('backend applier behind a stand-in haproxy', () => {
  let root: string;
  const set = (version: number): BackendSet => ({
    cluster: 'prod',
    version,
    backends: [{ name: 'master-0', address: '198.18.0.10', port: 6443, state: 'active' }],
  });
  const render = (s: BackendSet) => `# backend-set-version: ${s.version}\nglobal\n${s.backends.map((b) => `# ${b.name}`).join('\n')}\n`;

  /** haproxy as the applier sees it: whether it runs, the servers it has, and the commands it was sent. */
  function standIn(running: boolean): HaproxyApi & { commands: string[]; reloads: number } {
    const servers: RuntimeServer[] = [];
    const api = {
      commands: [] as string[],
      reloads: 0,
      running: () => Promise.resolve(running),
      withSession: <T>(fn: (session: HaproxySession) => Promise<T>) =>
        fn({
          showServersState: () => Promise.resolve(servers),
          serverSessions: () => Promise.resolve(new Map()),
          execute: (command: string) => {
            api.commands.push(command);
            return Promise.resolve('');
          },
        }),
      reload: () => {
        api.reloads++;
        return Promise.resolve();
      },
    };
    return api;
  }

  async function applierWith(haproxy: HaproxyApi, check: readonly [string, ...string[]], reported: number[]) {
    return createBackendApplier({
      host: new LocalHostOps(root, silentLogger),
      haproxy,
      render,
      addServerCommand: (b) => `add server kube-apiserver/${b.name} ${b.address}:${b.port}`,
      checkCommand: check,
      drainTimeoutMs: 1000,
      logger: silentLogger,
      onApplied: (v) => void reported.push(v),
    });
  }

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'kha-applier-'));
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('goes through the runtime API it is given, then writes and reports', async () => {
    const haproxy = standIn(true);
    const reported: number[] = [];
    const applier = await applierWith(haproxy, ['true'], reported);
    expect(await applier.apply(set(3))).toBe('applied');
    expect(haproxy.commands).toEqual([
      'add server kube-apiserver/master-0 198.18.0.10:6443',
      'enable health kube-apiserver/master-0',
      'enable server kube-apiserver/master-0',
    ]);
    expect(reported).toEqual([3]);
    expect(await readFile(join(root, CONFIG_PATH), 'utf8')).toBe(render(set(3)));
  });

  it('with haproxy not started (no admin socket), writes the set to the file it will start from, checked, and reports it', async () => {
    const haproxy = standIn(false);
    const reported: number[] = [];
    const applier = await applierWith(haproxy, ['true'], reported);
    expect(applier.appliedVersion()).toBe(3);
    expect(await applier.apply(set(4))).toBe('written');
    expect(haproxy.commands).toEqual([]);
    expect(haproxy.reloads).toBe(0);
    expect(reported).toEqual([4]);
    expect(applier.appliedVersion()).toBe(4);
    expect(await readFile(join(root, CONFIG_PATH), 'utf8')).toBe(render(set(4)));
  });

  it('with haproxy not started, a set that fails haproxy -c is neither written nor reported', async () => {
    const reported: number[] = [];
    const applier = await applierWith(standIn(false), ['false'], reported);
    const err = await applier.apply(set(5)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect(reported).toEqual([]);
    expect(applier.appliedVersion()).toBe(4);
    expect(await readFile(join(root, CONFIG_PATH), 'utf8')).toBe(render(set(4)));
    // The file checked is not left behind.
    expect(await readdir(join(root, '/etc/haproxy'))).toEqual(['haproxy.cfg']);
  });
});
