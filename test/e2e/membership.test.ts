/**
 * Issue 5, scenario 5: membership under load on a real L2 segment. While a worker keeps opening fresh HTTPS
 * connections to /healthz through the VIP, a 4th control-plane node is added (every haproxy ends with 4 backends
 * UP), then a non-holder master is removed, then the VIP holder: no request fails, and each removed host is left
 * with no VIP and no keepalived (or haproxy) running, while the others' haproxys hold exactly the remaining masters.
 * Each removal leaves no etcd member behind (real members, issue 12). Last (issue 11), the new VIP holder is removed with the coordinator SIGKILLed at the start of every phase of
 * remove-node and restarted each time: the removal resumes by itself and completes, with the same guarantees.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeE2E } from '../netns/describe-e2e.js';
import { loadLoop, type LoadLoopResult } from '../netns/http-client.js';
import { REMOVE_NODE } from '../../coordinator/actions/remove-node.js';
import { E2eCluster, LB_PORT, type CtlResult, type E2eHost } from './cluster.js';
import { ensureBuilt } from './build.js';

const HOSTS: E2eHost[] = [
  { name: 'master-0', address: '198.18.0.11', role: 'control-plane' },
  { name: 'master-1', address: '198.18.0.12', role: 'control-plane' },
  { name: 'master-2', address: '198.18.0.13', role: 'control-plane' },
  { name: 'worker-0', address: '198.18.0.21', role: 'worker' },
  // Registered from the start but not deployed: `add-node` joins it. Not in the first spec, so "unlisted".
  { name: 'master-3', address: '198.18.0.14', role: 'control-plane', unlisted: true },
];
const NEW_MASTER = HOSTS.find((h) => h.name === 'master-3')!;
const LOAD_FROM = 'worker-0';
/** Each load chunk is a separate bounded process; chunks follow each other until the operation under test ends. */
const LOAD_CHUNK_MS = 4000;
/**
 * Per request. A connect held during the VIP handover is retried by the client's kernel after 1 s, then 3 s: a
 * client with a 2 s budget would count a slow VRRP takeover as a failure, which no Kubernetes client (30 s dial
 * timeout) would. A reset or a refused connection fails at once, whatever this is.
 */
const REQUEST_TIMEOUT_MS = 5000;

interface Load {
  stop(): Promise<{ ok: number; failed: number; errors: string[]; maxLatencyMs: number }>;
}

describeE2E('e2e: membership under load (add a 4th master, remove a non-holder, then the VIP holder)', () => {
  let c: E2eCluster;
  const fullSpec = () => join(c.dir, 'cluster-with-master-3.yaml');

  beforeAll(async () => {
    await ensureBuilt();
    // Auto-join off: master-3's agent registers before add-node and must not be joined as a worker meanwhile.
    c = await E2eCluster.create({ name: 'e2e-membership', hosts: HOSTS, specExtra: '  autoJoin:\n    enabled: false' });
    await c.bringUp();
    const r = await c.deploy();
    if (r.code !== 0) throw new Error(`deploy failed (logs in ${c.logs()}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
    writeFileSync(fullSpec(), c.spec(HOSTS));
    await c.startStandin(NEW_MASTER.name);
    c.startAgent(NEW_MASTER);
    await c.waitFor(async () => (await nodes()).some((n) => n.name === NEW_MASTER.name && n.connected), 30_000, `${NEW_MASTER.name} to register`);
  }, 120_000);

  afterAll(async () => {
    await c?.destroy();
  }, 120_000);

  const nodes = async () =>
    (JSON.parse((await c.ctl(['status', '-o', 'json'])).stdout) as { nodes: { name: string; joined: boolean; connected: boolean }[] }).nodes;

  /** Load through the VIP from the worker in back-to-back bounded chunks until stopped. */
  const startLoad = (): Load => {
    let stopped = false;
    const results: LoadLoopResult[] = [];
    const timedErrors: string[] = [];
    const running = (async () => {
      while (!stopped) {
        const startedAt = Date.now();
        const r = await loadLoop({
          lab: c.lab,
          fromHost: LOAD_FROM,
          url: `https://${c.vip}:${LB_PORT}/healthz`,
          durationMs: LOAD_CHUNK_MS,
          intervalMs: 10,
          requestTimeoutMs: REQUEST_TIMEOUT_MS,
        });
        results.push(r);
        for (const e of r.errors) timedErrors.push(`${new Date(startedAt + e.atMs).toISOString().slice(11, 23)} ${e.message}`);
      }
    })();
    return {
      async stop() {
        stopped = true;
        await running;
        return {
          ok: results.reduce((n, r) => n + r.ok, 0),
          failed: results.reduce((n, r) => n + r.failed, 0),
          errors: timedErrors.slice(0, 5),
          maxLatencyMs: Math.max(0, ...results.map((r) => r.maxLatencyMs)),
        };
      },
    };
  };

  /** Every listed master's haproxy (real, runtime API on its admin socket) has exactly `masters`, all UP. */
  const backendsEverywhere = async (masters: string[], timeoutMs = 15_000) => {
    const want = [...masters].sort();
    let last: Record<string, Record<string, string>> = {};
    try {
      await c.waitFor(
        async () => {
          last = {};
          for (const m of masters) last[m] = await c.backendStates(m);
          return masters.every(
            (m) => JSON.stringify(Object.keys(last[m]!).sort()) === JSON.stringify(want) && Object.values(last[m]!).every((s) => s === 'UP'),
          );
        },
        timeoutMs,
        `every haproxy to hold exactly ${want.join(', ')}, all UP`,
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}; last seen: ${JSON.stringify(last)}`);
    }
  };

  const holder = async () => (await c.lab.waitForHolders(c.vip, (hs) => hs.length === 1, { timeoutMs: 10_000 })).holders[0]!;

  /**
   * The removed host, as soon as remove-node has returned: no VIP on its interface, and keepalived and haproxy gone
   * under its kubelet stand-in (remove-node waits until the container runtime runs neither, through crictl).
   */
  const expectGone = async (name: string) => {
    const standin = c.standins.get(name)!;
    expect({ keepalived: standin.pidOf('keepalived'), haproxy: standin.pidOf('haproxy') }).toEqual({ keepalived: undefined, haproxy: undefined });
    expect((await c.lab.addressesOf(name)).map((a) => a.address)).not.toContain(c.vip);
    const n = (await nodes()).find((x) => x.name === name);
    expect(n?.joined ?? false).toBe(false);
    // No etcd member left behind: the remaining members' list has neither its name nor its peer URL.
    const etcd = await c.ctl(['etcd', 'status', '-o', 'json']);
    const members = (JSON.parse(etcd.stdout) as { members: { name: string; peerUrl: string }[] }).members;
    expect(members.length).toBeGreaterThan(0);
    const address = HOSTS.find((h) => h.name === name)!.address;
    expect(members.filter((m) => m.name === name || m.peerUrl === `https://${address}:2380`)).toEqual([]);
  };

  it('adds master-3 under load: it joins and every haproxy ends with 4 backends UP; no request fails', async () => {
    await backendsEverywhere(['master-0', 'master-1', 'master-2']);
    const load = startLoad();
    const t0 = Date.now();
    const added = await c.ctl(['add-node', '-f', fullSpec(), '--node', NEW_MASTER.name]);
    const addMs = Date.now() - t0;
    const result = await load.stop();
    if (added.code !== 0) console.error(added.stdout.slice(-3000), added.stderr.slice(-3000), '\nlogs in', c.logs());
    expect(added.code).toBe(0);
    await c.standins.get(NEW_MASTER.name)!.waitUntilRunning('haproxy', { timeoutMs: 15_000 });
    await c.standins.get(NEW_MASTER.name)!.waitUntilRunning('keepalived', { timeoutMs: 15_000 });
    await backendsEverywhere(['master-0', 'master-1', 'master-2', 'master-3']);
    console.log(`add-node master-3: ${addMs} ms; load ${result.ok} ok, ${result.failed} failed`);
    expect({ failed: result.failed, errors: result.errors }).toEqual({ failed: 0, errors: [] });
    expect(result.ok).toBeGreaterThan(20);
    expect((await nodes()).find((n) => n.name === NEW_MASTER.name)?.joined).toBe(true);
    expect((await c.healthz(NEW_MASTER.name, 2000)).status).toBe(200);
  }, 120_000);

  it('removes a master that does not hold the VIP under load: no request fails; it has no VIP and no keepalived', async () => {
    const vipHolder = await holder();
    const victim = ['master-1', 'master-2', 'master-3', 'master-0'].find((m) => m !== vipHolder)!;
    const load = startLoad();
    const t0 = Date.now();
    const removed = await c.ctl(['remove-node', victim]);
    const removeMs = Date.now() - t0;
    const result = await load.stop();
    if (removed.code !== 0) console.error(removed.stdout.slice(-3000), removed.stderr.slice(-3000), '\nlogs in', c.logs());
    expect(removed.code).toBe(0);
    console.log(`remove-node ${victim} (holder ${vipHolder}): ${removeMs} ms; load ${result.ok} ok, ${result.failed} failed`);
    expect({ failed: result.failed, errors: result.errors }).toEqual({ failed: 0, errors: [] });
    expect(result.ok).toBeGreaterThan(20);
    await expectGone(victim);
    expect(await c.lab.whoHolds(c.vip)).toEqual([vipHolder]);
    await backendsEverywhere(['master-0', 'master-1', 'master-2', 'master-3'].filter((m) => m !== victim));
  }, 120_000);

  it('removes the VIP holder under load: the VIP is handed over first and no request fails; no VIP, no keepalived left', async () => {
    const vipHolder = await holder();
    const remaining = (await nodes()).filter((n) => n.joined && n.name.startsWith('master-') && n.name !== vipHolder).map((n) => n.name);
    expect(remaining.length).toBe(2);
    const load = startLoad();
    const t0 = Date.now();
    const at = (t: number) => new Date(t).toISOString().slice(11, 23);
    // When the VIP left the holder and when another master had it, watched from outside while remove-node runs.
    const left = c.lab.waitForHolders(c.vip, (hs) => !hs.includes(vipHolder), { timeoutMs: 60_000, intervalMs: 50 });
    const taken = c.lab.waitForHolders(c.vip, (hs) => hs.some((h) => remaining.includes(h)), { timeoutMs: 60_000, intervalMs: 50 });
    const removed = await c.ctl(['remove-node', vipHolder]);
    const removeMs = Date.now() - t0;
    const result = await load.stop();
    if (removed.code !== 0) console.error(removed.stdout.slice(-3000), removed.stderr.slice(-3000), '\nlogs in', c.logs());
    expect(removed.code).toBe(0);
    const newHolder = await holder();
    const [leftAt, takenAt] = [(await left).elapsedMs, (await taken).elapsedMs];
    console.log(
      `remove-node ${vipHolder} (the holder) from ${at(t0)}: ${removeMs} ms; VIP off it after ${leftAt} ms, on ${newHolder} after ${takenAt} ms; ` +
        `load ${result.ok} ok, ${result.failed} failed, slowest ${result.maxLatencyMs} ms${result.errors.length ? `: ${result.errors.join(' | ')}` : ''}`,
    );
    console.log(
      removed.stdout
        .split('\n')
        .filter((l) => /remove-(move-vip|load-balancer)/.test(l))
        .join('\n'),
    );
    expect(remaining).toContain(newHolder);
    // The holder handed the VIP over: new connections held (their SYNs retried after the move), open ones drained,
    // then FAULT. Without that, a request open at the instant the VIP changes hosts is reset by the new holder.
    expect({ failed: result.failed, errors: result.errors }).toEqual({ failed: 0, errors: [] });
    expect(result.ok).toBeGreaterThan(20);
    expect(removed.stdout).toContain(`holding new connections to ${c.vip}:${LB_PORT}`);
    expect(removed.stdout).toMatch(new RegExp(`open connection\\(s\\) to ${c.vip.replaceAll('.', '\\.')}:${LB_PORT} finished in \\d+ ms`));
    await expectGone(vipHolder);
    await backendsEverywhere(remaining);
    for (const h of [LOAD_FROM, ...remaining]) expect((await c.healthz(h, 2000)).status).toBe(200);
  }, 120_000);

  it('removes the VIP holder with the coordinator SIGKILLed at every phase start: each restart resumes it; no request fails', async () => {
    const vipHolder = await holder();
    const remaining = (await nodes()).filter((n) => n.joined && n.name.startsWith('master-') && n.name !== vipHolder).map((n) => n.name);
    expect(remaining.length).toBe(1);
    const load = startLoad();
    // The coordinator's log from where this removal began: the running one's log also holds the earlier removals'.
    let logFrom = c.coordinator!.readLog().length;
    const loggedIn = (log: string, id: string, kind: 'phase-start' | 'phase-skip') =>
      log.split('\n').some((l) => l.includes(`"phase":"${id}"`) && l.includes(`"kind":"${kind}"`));
    const logged = (id: string, kind: 'phase-start' | 'phase-skip') => loggedIn(c.coordinator!.readLog().slice(logFrom), id, kind);
    // The killed coordinator's log: a kill sent at one phase's start can land after the next phase has begun.
    let killedLog = '';
    // The command, then after each restart the same command again: it attaches to the resumed removal.
    let removal: Promise<CtlResult> = c.ctl(['remove-node', vipHolder]);
    let finished: CtlResult | undefined;
    /**
     * In phase order: each phase killed at its start, killed while it ran (the kill meant for the phase before landed
     * after this one had started, and its work on the host went on without the coordinator), skipped (nothing left to
     * do), or outrun by the kill.
     */
    const fates: { phase: string; fate: 'killed' | 'killed-while-running' | 'skipped' | 'outrun' }[] = [];
    let removed: CtlResult;
    let result: Awaited<ReturnType<Load['stop']>>;
    try {
      for (const phase of REMOVE_NODE.phases.map((p) => p.id)) {
        void removal.then((r) => (finished = r));
        // A phase with nothing (left) to do is skipped without starting: there is no boundary to kill at.
        await c.waitFor(
          () => logged(phase, 'phase-start') || logged(phase, 'phase-skip') || finished !== undefined,
          120_000,
          `remove-node to reach ${phase}`,
          () => c.coordinator!.running(),
        );
        if (!logged(phase, 'phase-start')) {
          if (finished) {
            // The kill landed after the removal had already finished its last phases (the client saw its stream cut
            // all the same): the restarted coordinator has nothing left to run, and says so.
            const last = fates.at(-1);
            if (last?.fate === 'killed' && /is already removed/.test(finished.stdout)) last.fate = 'outrun';
            break;
          }
          fates.push({ phase, fate: loggedIn(killedLog, phase, 'phase-start') ? 'killed-while-running' : 'skipped' });
          continue;
        }
        await c.coordinator!.signal('SIGKILL');
        await c.coordinator!.exited;
        killedLog = c.coordinator!.readLog().slice(logFrom);
        // The last phases take milliseconds: the removal may end between the phase's first log line and the kill.
        fates.push({ phase, fate: (await removal).code === 0 ? 'outrun' : 'killed' });
        finished = undefined;
        await c.startCoordinator();
        logFrom = 0;
        removal = c.ctl(['remove-node', vipHolder]);
      }
      removed = await removal;
    } finally {
      result = await load.stop();
    }
    if (removed.code !== 0) console.error(removed.stdout.slice(-3000), removed.stderr.slice(-3000), '\nlogs in', c.logs());
    const killedAt = fates.filter((f) => f.fate === 'killed' || f.fate === 'killed-while-running').map((f) => f.phase);
    console.log(
      `remove-node ${vipHolder} (the holder): ${fates.map((f) => `${f.phase} ${f.fate}`).join(', ')}; load ${result.ok} ok, ${result.failed} failed, slowest ${result.maxLatencyMs} ms`,
    );
    expect(removed.code).toBe(0);
    // Every phase in order, up to the one the removal ended in: killed at its start, or skipped; only the last outrun.
    const ids = REMOVE_NODE.phases.map((p) => p.id);
    expect(fates.map((f) => f.phase)).toEqual(ids.slice(0, fates.length));
    expect(fates.slice(0, -1).filter((f) => f.fate === 'outrun')).toEqual([]);
    if (fates.length < ids.length) expect(fates.at(-1)?.fate).toBe('outrun');
    expect(killedAt).toContain('remove-move-vip');
    expect(killedAt).toContain('remove-kubeadm-reset');
    expect({ failed: result.failed, errors: result.errors }).toEqual({ failed: 0, errors: [] });
    expect(result.ok).toBeGreaterThan(20);
    expect(await holder()).toBe(remaining[0]);
    await expectGone(vipHolder);
    await backendsEverywhere(remaining);
    for (const h of [LOAD_FROM, ...remaining]) expect((await c.healthz(h, 2000)).status).toBe(200);
  }, 600_000);
});
