import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { loadSpec } from '../../core/validate.js';
import type { DeployEvent } from '../../proto/generated/kubeadm_ha/v1/DeployEvent.js';
import { deployedState, fakeCoordinator, memoryHosts, type MemoryHosts, type MemoryState } from '../../test/support/fake-runtime.js';
import type { Operation } from '../admin/operations.js';
import { createAdminService } from '../admin/service.js';
import { startUpgrade, workerBatch } from './upgrade.js';

// The snapshot itself is tested in admin/etcd.test.ts; here it only has to be taken before the first node.
vi.mock('../admin/etcd.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../admin/etcd.js')>()),
  takeSnapshot: vi.fn(async () => ({ path: '/snap.db', size: 1, revision: 1, sha256: '', node: 'master-1', pruned: [] })),
}));

const spec = loadSpec(readFileSync(new URL('../../test/fixtures/cluster.yaml', import.meta.url), 'utf8')).spec;
const ALL = spec.nodes.map((n) => n.name);
const MASTERS = spec.nodes.filter((n) => n.role === 'control-plane').map((n) => n.name);
const WORKERS = spec.nodes.filter((n) => n.role === 'worker').map((n) => n.name);
const FROM = spec.kubernetes.version;
const TO = `v1.${Number(FROM.split('.')[1]) + 1}.0`;

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

describe('upgrade', () => {
  it('upgrades the control plane one node at a time (apply on the first, node elsewhere), then the workers; records the version', async () => {
    const { state, hosts } = await world();
    const c = fakeCoordinator(spec, state, hosts, { connected: ALL });
    const events = await finished(await startUpgrade(c.rt, TO));
    expect(events.filter((e) => e.level === 'LOG_LEVEL_ERROR').map((e) => e.message)).toEqual([]);
    expect(c.started).toEqual([
      'upgrade',
      'upgrade-preflight',
      'upgrade-plan',
      'upgrade-snapshot',
      'upgrade-control-plane',
      'upgrade-workers',
      'upgrade-verify',
    ]);
    expect(hosts.hosts.upgradeCalls).toEqual([
      `${MASTERS[0]}:plan`,
      `${MASTERS[0]}:apply`,
      ...MASTERS.slice(1).map((m) => `${m}:node`),
      ...WORKERS.map((w) => `${w}:node`),
    ]);
    for (const n of ALL) expect([hosts.hosts.installed.get(n), hosts.hosts.running.get(n)], n).toEqual([{ kubeadm: TO, kubelet: TO }, TO]);
    expect(hosts.hosts.cordoned.size).toBe(0);
    expect(state.backends.stored().backends.every((b) => b.state === 'active')).toBe(true);
    expect((await c.rt.state.spec.get())?.value.kubernetes.version).toBe(TO);
  });

  it('refuses a skip of two minors, naming the rule, before touching a node', async () => {
    const { state, hosts } = await world();
    const c = fakeCoordinator(spec, state, hosts, { connected: ALL });
    const two = `v1.${Number(FROM.split('.')[1]) + 2}.0`;
    const events = await finished(await startUpgrade(c.rt, two));
    expect(events.map((e) => e.message).join('\n')).toMatch(/one minor version at a time: .* skips a minor/);
    expect(hosts.calls.filter((x) => /installPackages|kubeadmUpgrade|kubectlDrain/.test(x))).toEqual([]);
    await expect(startUpgrade(c.rt, '1.32')).rejects.toThrow('is not a release version');
    await expect(startUpgrade(c.rt, FROM)).rejects.toThrow(`the cluster already runs ${FROM}`);
  });

  it('on tarball hosts (spec.kubernetes.binariesDir) every install names the directory, so no package manager is used', async () => {
    const tarball = loadSpec(
      readFileSync(new URL('../../test/fixtures/cluster.yaml', import.meta.url), 'utf8').replace(
        /^(\s+)version: (v\S+)$/m,
        '$1version: $2\n$1binariesDir: /opt/kubernetes/releases',
      ),
    ).spec;
    expect(tarball.kubernetes.binariesDir).toBe('/opt/kubernetes/releases');
    const state = await deployedState(tarball);
    const hosts = memoryHosts(tarball, []);
    hosts.hosts.currentVersion = () => state.backends.stored().version;
    const c = fakeCoordinator(tarball, state, hosts, { connected: ALL });
    await finished(await startUpgrade(c.rt, TO));
    expect(hosts.hosts.installs.length).toBeGreaterThanOrEqual(2 * ALL.length);
    expect(hosts.hosts.installs.filter((i) => i.args.binariesDir !== '/opt/kubernetes/releases')).toEqual([]);
    for (const n of ALL) expect(hosts.hosts.running.get(n), n).toBe(TO);
  });

  it('refuses a NotReady node, etcd without quorum and a lagging load balancer at once, each naming its rule and node', async () => {
    const { state, hosts } = await world();
    hosts.hosts.notReady.add(WORKERS[0]!);
    hosts.hosts.etcdMembers = hosts.hosts.etcdMembers.map((m, i) => (i > 0 ? { ...m, down: true } : m));
    const version = state.backends.stored().version;
    hosts.hosts.lbApplied.set(MASTERS[2]!, version - 1);
    const c = fakeCoordinator(spec, state, hosts, { connected: ALL });
    const said = (await finished(await startUpgrade(c.rt, TO))).map((e) => e.message).join('\n');
    expect(said).toContain(`refusing to upgrade to ${TO}:`);
    expect(said).toContain(`  - every node Ready: ${WORKERS[0]} is not Ready`);
    expect(said).toMatch(/ {2}- etcd healthy: etcd quorum lost: 1 of 3 voting members answer, 2 needed/);
    expect(said).toContain(`  - load balancers current: ${MASTERS[2]} runs backend set v${version - 1}, not v${version}`);
    expect(hosts.calls.filter((x) => /installPackages|kubeadmUpgrade|kubectlDrain|handOverVip/.test(x))).toEqual([]);
  });

  it('a coordinator killed in the second control-plane node resumes without upgrading the first again', async () => {
    const { state, hosts } = await world();
    const first = fakeCoordinator(spec, state, hosts, { connected: ALL, freezeAt: `task:${MASTERS[1]}:kubeadmUpgrade` });
    void startUpgrade(first.rt, TO);
    const deadline = Date.now() + 5_000;
    while (!first.dead()) {
      if (Date.now() > deadline) throw new Error('never reached the second node');
      await new Promise((r) => setTimeout(r, 5));
    }
    const second = fakeCoordinator(spec, state, hosts, { connected: ALL });
    createAdminService(second.rt).resumeInterrupted();
    while (second.ops.length === 0) await new Promise((r) => setTimeout(r, 5));
    const events = await finished(second.ops[0]!);
    expect(events.filter((e) => e.level === 'LOG_LEVEL_ERROR').map((e) => e.message)).toEqual([]);
    expect(hosts.hosts.upgradeCalls.filter((x) => x.startsWith(`${MASTERS[0]}:`))).toEqual([`${MASTERS[0]}:plan`, `${MASTERS[0]}:apply`]);
    for (const n of ALL) expect(hosts.hosts.running.get(n), n).toBe(TO);
    expect(state.raw.operation.map.get('operation')).toMatchObject({ kind: 'upgrade', key: TO, status: 'succeeded', resumed: 1 });
  });

  it('takes a third of the workers at once, at least one', () => {
    expect([0, 1, 2, 3, 10].map(workerBatch)).toEqual([1, 1, 1, 1, 3]);
  });
});
