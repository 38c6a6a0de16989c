import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { loadSpec } from '../../core/validate.js';
import type { DeployEvent } from '../../proto/generated/kubeadm_ha/v1/DeployEvent.js';
import { deployedState, fakeCoordinator, memoryHosts, type MemoryHosts, type MemoryState } from '../../test/support/fake-runtime.js';
import type { Operation } from '../admin/operations.js';
import { startCertRenewalSchedule } from '../admin/certs.js';
import { createAdminService } from '../admin/service.js';
import { DEFAULT_WINDOW_TIMEOUTS } from '../phases/window/window-target.js';
import { startCertsRenew } from './certs-renew.js';

// The snapshot itself is tested in admin/etcd.test.ts and end to end; here it only has to be taken before the first node.
const snapshots: string[] = [];
vi.mock('../admin/etcd.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../admin/etcd.js')>()),
  takeSnapshot: vi.fn(async () => {
    snapshots.push('taken');
    return { path: '/var/lib/kubeadm-ha-coordinator/etcd-snapshots/prod-x.db', size: 1, revision: 1, sha256: '', node: 'master-1', pruned: [] };
  }),
}));

const spec = loadSpec(readFileSync(new URL('../../test/fixtures/cluster.yaml', import.meta.url), 'utf8')).spec;
const ALL = spec.nodes.map((n) => n.name);
const MASTERS = spec.nodes.filter((n) => n.role === 'control-plane').map((n) => n.name);
/** The fixture in kube-vip mode: kube-vip moves the VIP and clients reach the apiservers on their own port. */
const kubeVip = loadSpec(
  readFileSync(new URL('../../test/fixtures/cluster.yaml', import.meta.url), 'utf8').replace(
    '    port: 8443\n',
    '    port: 6443\n    apiserverPort: 6443\n    loadBalancer: kube-vip\n',
  ),
).spec;

async function finished(op: Operation): Promise<DeployEvent[]> {
  const events: DeployEvent[] = [];
  await op.follow((e) => void events.push(e));
  return events;
}

async function world(): Promise<{ state: MemoryState; hosts: MemoryHosts }> {
  const state = await deployedState(spec);
  const hosts = memoryHosts(spec, []);
  hosts.hosts.currentVersion = () => state.backends.stored().version;
  return { state, hosts };
}

/** What each master's window did, in order, from the tasks and backend-set versions: the window's own order. */
function windowTasks(hosts: MemoryHosts, node: string): string[] {
  return hosts.calls.filter((c) => c.startsWith(`${node}:`) && /:(certsRenew|parkControlPlane|handOverVip|setVipTrack)$/.test(c)).map((c) => c.split(':')[1]!);
}

describe('certs renew', () => {
  it('renews one control-plane node at a time inside the window: drained, renewed, restarted, back; the VIP stays', async () => {
    const { state, hosts } = await world();
    const c = fakeCoordinator(spec, state, hosts, { connected: ALL });
    const drained: string[][] = [];
    const holderAtDrain = new Map<string, string | undefined>();
    const holderAtRestore = new Map<string, string | undefined>();
    const holder = hosts.hosts.vip;
    const update = state.backends.update;
    state.backends.update = async (t) => {
      const before = state.backends
        .stored()
        .backends.filter((b) => b.state === 'draining')
        .map((b) => b.name);
      const next = await update(t);
      const now = next.backends.filter((b) => b.state === 'draining').map((b) => b.name);
      drained.push(now);
      for (const n of now) if (!before.includes(n)) holderAtDrain.set(n, hosts.hosts.vip);
      for (const n of before) if (!now.includes(n)) holderAtRestore.set(n, hosts.hosts.vip);
      return next;
    };
    const events = await finished(await startCertsRenew(c.rt, ''));
    expect(events.filter((e) => e.level === 'LOG_LEVEL_ERROR').map((e) => e.message)).toEqual([]);
    expect(c.started).toEqual(['certs-renew', 'certs-preflight', 'certs-snapshot', 'certs-renew-control-plane', 'certs-verify']);
    // Never two nodes drained at once; each drained, then active again, in plan order.
    expect(drained.every((d) => d.length <= 1)).toBe(true);
    expect(drained.filter((d) => d.length === 1).map((d) => d[0])).toEqual(MASTERS);
    expect(state.backends.stored().backends.every((b) => b.state === 'active')).toBe(true);
    for (const m of MASTERS) {
      expect(hosts.hosts.certs.get(m)).toMatchObject({ renewals: 1, servedSerial: `${m}-renewed-1` });
      const park = ['parkControlPlane', 'parkControlPlane', 'parkControlPlane', 'parkControlPlane'];
      // Only the control plane restarts: keepalived and haproxy keep running, so the VIP is not moved (a move would cut
      // the connections established through the holder).
      expect(windowTasks(hosts, m), m).toEqual(['certsRenew', ...park]);
      expect(holderAtDrain.get(m), m).toBe(holder);
      expect(holderAtRestore.get(m), m).toBe(holder);
    }
    // Workers are never touched.
    expect(hosts.calls.filter((x) => x.startsWith('worker'))).toEqual([]);
    expect(snapshots.length).toBeGreaterThan(0);
    expect(state.raw.operation.map.get('operation')).toMatchObject({ kind: 'certs-renew', key: 'all', status: 'succeeded' });
  });

  it('refuses a lagging load balancer before touching any node, naming the rule and the node', async () => {
    const { state, hosts } = await world();
    hosts.hosts.lbApplied.set(MASTERS[1]!, 0);
    await state.backends.update((s) => ({ ...s, backends: [...s.backends] }));
    const c = fakeCoordinator(spec, state, hosts, { connected: ALL });
    const version = state.backends.stored().version;
    hosts.hosts.currentVersion = () => version + 1;
    hosts.hosts.lbApplied.set(MASTERS[0]!, version + 1);
    hosts.hosts.lbApplied.set(MASTERS[2]!, version + 1);
    state.backends.current = async () => ({ ...state.backends.stored(), version: version + 1 });
    const events = await finished(await startCertsRenew(c.rt, ''));
    expect(events.map((e) => e.message).join('\n')).toMatch(new RegExp(`load balancers current: ${MASTERS[1]} runs backend set v0, not v${version + 1}`));
    expect(hosts.calls.filter((x) => /certsRenew|parkControlPlane|handOverVip/.test(x))).toEqual([]);
  });

  it('refuses etcd without quorum before touching any node, naming the rule', async () => {
    const { state, hosts } = await world();
    hosts.hosts.etcdMembers = hosts.hosts.etcdMembers.map((m, i) => (i > 0 ? { ...m, down: true } : m));
    const c = fakeCoordinator(spec, state, hosts, { connected: ALL });
    const events = await finished(await startCertsRenew(c.rt, ''));
    expect(events.map((e) => e.message).join('\n')).toMatch(
      /refusing to renew certificates:\n(.*\n)* {2}- etcd healthy: etcd quorum lost: 1 of 3 voting members answer, 2 needed/,
    );
    expect(hosts.calls.filter((x) => /certsRenew|parkControlPlane|handOverVip/.test(x))).toEqual([]);
  });

  it('a failure while parking puts every manifest back: the control plane is never left parked', async () => {
    const { state, hosts } = await world();
    const target = MASTERS[1]!;
    const runTask = hosts.runTask;
    hosts.runTask = (async (agent: string, kind: string, args: { park?: boolean; components?: string[] }) => {
      if (agent === target && kind === 'parkControlPlane' && args.park && args.components?.includes('etcd')) throw new Error('crictl: etcd did not stop');
      return runTask(agent as never, kind as never, args as never);
    }) as typeof hosts.runTask;
    const c = fakeCoordinator(spec, state, hosts, { connected: ALL });
    const events = await finished(await startCertsRenew(c.rt, target));
    expect(events.map((e) => e.message).join('\n')).toMatch(/etcd did not stop/);
    expect([...(hosts.hosts.parked.get(target) ?? [])]).toEqual([]);
    // Parked the apiserver and controllers, (the etcd park failed before reaching the host,) put etcd and them back.
    expect(hosts.calls.filter((x) => x === `${target}:parkControlPlane`).length).toBe(3);
    expect(state.backends.stored().backends.find((b) => b.name === target)?.state).toBe('draining');
  });

  it("kube-vip mode: each node's kube-vip stops before its renewal and starts after its pods, so it reads the renewed admin.conf", async () => {
    expect(kubeVip.controlPlaneEndpoint.loadBalancer).toBe('kube-vip');
    const state = await deployedState(kubeVip);
    const hosts = memoryHosts(kubeVip, []);
    hosts.hosts.currentVersion = () => state.backends.stored().version;
    const c = fakeCoordinator(kubeVip, state, hosts, { connected: ALL });
    const events = await finished(await startCertsRenew(c.rt, ''));
    expect(events.filter((e) => e.level === 'LOG_LEVEL_ERROR').map((e) => e.message)).toEqual([]);
    for (const m of MASTERS) {
      const order = hosts.calls
        .filter((x) => x.startsWith(`${m}:`) && /:(certsRenew|parkControlPlane|handOverVip|stopLoadBalancer|startLoadBalancer)$/.test(x))
        .map((x) => x.split(':')[1]);
      const stopped = order.findIndex((t) => t === 'stopLoadBalancer' || t === 'handOverVip');
      expect(stopped, `${m}: ${order.join(' ')}`).toBeGreaterThanOrEqual(0);
      expect(stopped, `${m}: ${order.join(' ')}`).toBeLessThan(order.indexOf('certsRenew'));
      expect(order.at(-1), `${m}: ${order.join(' ')}`).toBe('startLoadBalancer');
      expect(hosts.hosts.certs.get(m)?.renewals).toBe(1);
    }
  });

  it('renews only the named node, and refuses a worker or an unknown name', async () => {
    const { state, hosts } = await world();
    const c = fakeCoordinator(spec, state, hosts, { connected: ALL });
    await finished(await startCertsRenew(c.rt, MASTERS[1]!));
    expect(MASTERS.map((m) => hosts.hosts.certs.get(m)!.renewals)).toEqual([0, 1, 0]);
    await expect(startCertsRenew(c.rt, 'worker-0')).rejects.toThrow('is not a control-plane node');
  });

  it("a coordinator killed in the second node's window resumes: the first is not renewed again, the second is left drained then finished", async () => {
    const { state, hosts } = await world();
    const first = fakeCoordinator(spec, state, hosts, { connected: ALL, freezeAt: `task:${MASTERS[1]}:certsRenew` });
    void startCertsRenew(first.rt, '');
    const deadline = Date.now() + 5_000;
    while (!first.dead()) {
      if (Date.now() > deadline) throw new Error('never reached the second node');
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(state.backends.stored().backends.find((b) => b.name === MASTERS[1])?.state).toBe('draining');
    const second = fakeCoordinator(spec, state, hosts, { connected: ALL });
    createAdminService(second.rt).resumeInterrupted();
    while (second.ops.length === 0) await new Promise((r) => setTimeout(r, 5));
    const events = await finished(second.ops[0]!);
    expect(events.filter((e) => e.level === 'LOG_LEVEL_ERROR').map((e) => e.message)).toEqual([]);
    expect(MASTERS.map((m) => hosts.hosts.certs.get(m)!.renewals)).toEqual([1, 1, 1]);
    expect(state.backends.stored().backends.every((b) => b.state === 'active')).toBe(true);
    expect(state.raw.operation.map.get('operation')).toMatchObject({ kind: 'certs-renew', status: 'succeeded', resumed: 1 });
  });

  it("kube-vip mode: a coordinator killed between a node's restore and its kube-vip start: the resumed renewal starts it", async () => {
    const state = await deployedState(kubeVip);
    const hosts = memoryHosts(kubeVip, []);
    hosts.hosts.currentVersion = () => state.backends.stored().version;
    const first = fakeCoordinator(kubeVip, state, hosts, { connected: ALL, freezeAt: `task:${MASTERS[0]}:startLoadBalancer` });
    void startCertsRenew(first.rt, '');
    const deadline = Date.now() + 5_000;
    while (!first.dead()) {
      if (Date.now() > deadline) throw new Error("never reached the first node's kube-vip start");
      await new Promise((r) => setTimeout(r, 5));
    }
    // Back in the backend set and renewed, but its kube-vip stopped.
    expect(state.backends.stored().backends.find((b) => b.name === MASTERS[0])?.state).toBe('active');
    expect([...hosts.hosts.lbStopped]).toEqual([MASTERS[0]]);
    const second = fakeCoordinator(kubeVip, state, hosts, { connected: ALL });
    createAdminService(second.rt).resumeInterrupted();
    while (second.ops.length === 0) await new Promise((r) => setTimeout(r, 5));
    const events = await finished(second.ops[0]!);
    expect(events.filter((e) => e.level === 'LOG_LEVEL_ERROR').map((e) => e.message)).toEqual([]);
    expect(MASTERS.map((m) => hosts.hosts.certs.get(m)!.renewals)).toEqual([1, 1, 1]);
    expect([...hosts.hosts.lbStopped]).toEqual([]);
  });

  it('the dry run only asks', async () => {
    const { state, hosts } = await world();
    const c = fakeCoordinator(spec, state, hosts, { connected: ALL });
    const events = await finished(await startCertsRenew(c.rt, '', { dryRun: true }));
    expect(events.map((e) => e.message).join('\n')).toMatch(/would run: Renew each control-plane node inside the maintenance window, one at a time/);
    expect(hosts.calls.filter((x) => /certsRenew|parkControlPlane|handOverVip|setVipTrack/.test(x))).toEqual([]);
    expect(DEFAULT_WINDOW_TIMEOUTS.drainMs).toBeGreaterThan(0);
  });
});

describe('automatic renewal (spec.certificates.renewBefore)', () => {
  const withWindow = (renewBefore: string) =>
    loadSpec(
      `${readFileSync(new URL('../../test/fixtures/cluster.yaml', import.meta.url), 'utf8').trimEnd()}\n  certificates:\n    renewBefore: ${renewBefore}\n`,
    ).spec;

  it('renews, one node at a time, the control-plane nodes whose certificates expire within the window, and no other', async () => {
    const due = withWindow('120d');
    const { state, hosts } = await world();
    await state.cluster.spec.put(due);
    // master-2's certificates were renewed lately: they expire beyond the window.
    const far = new Date(Date.now() + 800 * 86_400_000).toISOString();
    const runTask = hosts.runTask;
    (hosts as { runTask: typeof runTask }).runTask = async (agent, kind, args) => {
      const r = await runTask(agent, kind, args);
      if (kind === 'certsCheck' && agent === MASTERS[2]) {
        const check = r as unknown as { certificates: { notAfter: string }[] };
        for (const c of check.certificates) c.notAfter = far;
      }
      return r;
    };
    const c = fakeCoordinator(due, state, hosts, { connected: ALL });
    const schedule = startCertRenewalSchedule(c.rt, 60_000, 1);
    try {
      const deadline = Date.now() + 5_000;
      while (c.ops.length < 2 || c.ops.some((o) => o.state === 'running')) {
        if (Date.now() > deadline) throw new Error(`renewals: ${c.ops.map((o) => `${o.key} ${o.state}`).join(', ')}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    } finally {
      schedule.stop();
    }
    expect(c.ops.map((o) => [o.kind, o.key, o.state])).toEqual([
      ['certs-renew', MASTERS[0], 'succeeded'],
      ['certs-renew', MASTERS[1], 'succeeded'],
    ]);
    expect(MASTERS.map((m) => hosts.hosts.certs.get(m)!.renewals)).toEqual([1, 1, 0]);
    // Each renewal recorded for status, newest first, marked as the coordinator's own.
    const status = await new Promise<{ operations: { kind: string; key: string; status: string; automatic: boolean }[] }>((resolve, reject) =>
      (createAdminService(c.rt).handlers.Status as (call: unknown, cb: (err: unknown, r: unknown) => void) => void)({ request: {} }, (err, r) =>
        err ? reject(err) : resolve(r as never),
      ),
    );
    expect(status.operations.map((o) => [o.kind, o.key, o.status, o.automatic])).toEqual([
      ['certs-renew', MASTERS[1], 'succeeded', true],
      ['certs-renew', MASTERS[0], 'succeeded', true],
    ]);
  });

  it('does nothing without the spec field, or when nothing is due', async () => {
    for (const s of [spec, withWindow('1d')]) {
      const { state, hosts } = await world();
      await state.cluster.spec.put(s);
      const c = fakeCoordinator(s, state, hosts, { connected: ALL });
      const schedule = startCertRenewalSchedule(c.rt, 60_000, 1);
      await new Promise((r) => setTimeout(r, 200));
      schedule.stop();
      expect(c.ops).toEqual([]);
      expect(hosts.calls.filter((x) => x.endsWith(':certsRenew'))).toEqual([]);
    }
  });
});

describe('certs renew run again after it failed', () => {
  it('keeps the baseline it started with: the nodes it renewed are not renewed again', async () => {
    const { state, hosts } = await world();
    const c = fakeCoordinator(spec, state, hosts, { connected: ALL });
    const runTask = hosts.runTask;
    let failOnce = true;
    (hosts as { runTask: typeof runTask }).runTask = async (agent, kind, args) => {
      if (kind === 'certsRenew' && agent === MASTERS[1] && failOnce) {
        failOnce = false;
        throw new Error(`${agent}: kubeadm certs renew all exited 1`);
      }
      return runTask(agent, kind, args);
    };
    await finished(await startCertsRenew(c.rt, ''));
    expect(state.raw.operation.map.get('operation')).toMatchObject({ status: 'failed' });
    expect(MASTERS.map((m) => hosts.hosts.certs.get(m)!.renewals)).toEqual([1, 0, 0]);
    const events = await finished(await startCertsRenew(c.rt, ''));
    expect(events.filter((e) => e.level === 'LOG_LEVEL_ERROR').map((e) => e.message)).toEqual([]);
    expect(MASTERS.map((m) => hosts.hosts.certs.get(m)!.renewals)).toEqual([1, 1, 1]);
  });
});
