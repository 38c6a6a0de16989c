import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findPlannedNode, planCluster } from '../../core/plan.js';
import type { ClusterSpec } from '../../core/spec.js';
import { loadSpec } from '../../core/validate.js';
import type { DeployEvent } from '../../proto/generated/kubeadm_ha/v1/DeployEvent.js';
import { deployedState, fakeCoordinator, memoryHosts, type MemoryHosts, type MemoryState } from '../../test/support/fake-runtime.js';
import { startAddNode } from '../actions/add-node.js';
import { startRemoveNode } from '../actions/remove-node.js';
import { startReset } from '../actions/reset.js';
import { removalPaths } from '../phases/remove-node/remove-target.js';
import type { Operation } from './operations.js';
import { createAdminService } from './service.js';

const text = readFileSync(new URL('../../test/fixtures/cluster.yaml', import.meta.url), 'utf8');
const spec = loadSpec(text).spec;
const plan = planCluster(spec);
const ALL = spec.nodes.map((n) => n.name);
const TARGET = 'master-0';
const PATHS = removalPaths({ plan, target: findPlannedNode(plan, TARGET)! });

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function finished(op: Operation): Promise<DeployEvent[]> {
  const events: DeployEvent[] = [];
  await op.follow((e) => void events.push(e));
  return events;
}

async function world(s: ClusterSpec = spec) {
  const state = await deployedState(s);
  const hosts = memoryHosts(s, PATHS);
  return { state, hosts };
}

/** A coordinator that starts the removal of master-0 and dies where `freezeAt` says. */
async function killedDuringRemoval(state: MemoryState, hosts: MemoryHosts, freezeAt: string) {
  const first = fakeCoordinator(spec, state, hosts, { freezeAt, connected: ALL });
  await startRemoveNode(first.rt, TARGET);
  await until(first.dead, `the coordinator to die at ${freezeAt}`);
  return first;
}

/** A restarted coordinator: nobody connected; the agents that may come back do so a moment later. */
function restarted(state: MemoryState, hosts: MemoryHosts, freezeAt?: string) {
  const c = fakeCoordinator(spec, state, hosts, { connected: [], ...(freezeAt ? { freezeAt } : {}) });
  setTimeout(() => c.connectAll(), 30);
  return c;
}

function expectRemoved(state: MemoryState, hosts: MemoryHosts) {
  expect(state.raw.spec.map.get('spec') ? (state.raw.spec.map.get('spec') as ClusterSpec).nodes.map((n) => n.name) : []).not.toContain(TARGET);
  expect(state.raw.nodes.map.has(TARGET)).toBe(false);
  expect(state.backends.stored().backends.map((b) => b.name)).toEqual(['master-1', 'master-2']);
  expect([...hosts.files.get(TARGET)!]).toEqual([]);
  expect(hosts.hosts.vip).toBeDefined();
  expect(hosts.hosts.vip).not.toBe(TARGET);
  expect(hosts.kubeNodes.has(TARGET)).toBe(false);
  expect(state.raw.tombstones.map.has(TARGET)).toBe(true);
  expect(state.raw.operation.map.get('operation')).toMatchObject({ kind: 'remove-node', key: TARGET, status: 'succeeded' });
}

/** The phases (and the action record) a full removal of master-0 starts, in order: the boundaries to die at. */
async function removalBoundaries(): Promise<string[]> {
  const { state, hosts } = await world();
  const c = fakeCoordinator(spec, state, hosts, { connected: ALL });
  const events = await finished(await startRemoveNode(c.rt, TARGET));
  expect(events.at(-1)).toMatchObject({ done: true, level: 'LOG_LEVEL_INFO' });
  expectRemoved(state, hosts);
  return c.started;
}

describe('a coordinator restarted mid remove-node', async () => {
  const boundaries = await removalBoundaries();

  it('starts every removal phase in a full run (the boundaries below are real)', () => {
    expect(boundaries).toEqual([
      'remove-node',
      'remove-etcd-gate',
      'remove-move-vip',
      'remove-drain-backend',
      'remove-backend',
      'remove-kubectl-drain',
      'remove-etcd-leader',
      'remove-etcd-member',
      'remove-kubeadm-reset',
      'remove-load-balancer',
      'remove-verify',
      'remove-forget',
    ]);
  });

  for (const at of [...boundaries, 'task:master-0:kubeadmReset', 'revoke', 'deleteNode']) {
    it(`resumes by itself after dying at ${at}, waits for the agents, and finishes from reality`, async () => {
      const { state, hosts } = await world();
      await killedDuringRemoval(state, hosts, at);
      expect(state.raw.operation.map.get('operation')).toMatchObject({ kind: 'remove-node', key: TARGET, status: 'running' });
      const second = restarted(state, hosts);
      createAdminService(second.rt).resumeInterrupted();
      await until(() => second.ops.length > 0, 'the resume');
      const events = await finished(second.ops[0]!);
      expect(events.filter((e) => e.error || e.level === 'LOG_LEVEL_ERROR').map((e) => e.message)).toEqual([]);
      expectRemoved(state, hosts);
      expect(state.raw.operation.map.get('operation')).toMatchObject({ resumed: 1 });
    });
  }

  it('attaches the same command to the interrupted removal (the agent already revoked), and refuses any other', async () => {
    const { state, hosts } = await world();
    await killedDuringRemoval(state, hosts, 'deleteNode');
    const second = restarted(state, hosts);
    await expect(startReset(second.rt)).rejects.toThrow(/a remove-node \(master-0\) was cut off by a coordinator restart and is resuming/);
    const op = await startRemoveNode(second.rt, TARGET);
    expect(await startRemoveNode(second.rt, TARGET)).toBe(op);
    await expect(startRemoveNode(second.rt, 'worker-0')).rejects.toThrow(/a remove-node \(master-0\) is running/);
    await expect(startAddNode(second.rt, text, 'worker-1')).rejects.toThrow(/a remove-node \(master-0\) is running/);
    await finished(op);
    expect(op.state).toBe('succeeded');
    expect(second.connected.has(TARGET)).toBe(false);
    expectRemoved(state, hosts);
  });

  it('removing a node twice is safe: the second one has nothing to do and says so', async () => {
    const { state, hosts } = await world();
    const c = fakeCoordinator(spec, state, hosts, { connected: ALL });
    await finished(await startRemoveNode(c.rt, TARGET));
    const calls = hosts.calls.length;
    const version = state.backends.stored().version;
    const events = await finished(await startRemoveNode(c.rt, TARGET));
    expect(events.map((e) => e.message)).toContain('master-0 is already removed: the stored spec no longer lists it and its agent is revoked; nothing to do');
    expect(events.at(-1)).toMatchObject({ done: true, level: 'LOG_LEVEL_INFO' });
    expect(hosts.calls.length).toBe(calls);
    expect(state.backends.stored().version).toBe(version);
  });
});

describe('a coordinator restarted mid reset', () => {
  for (const at of ['task:master-1:kubeadmReset', 'revoke']) {
    it(`resumes by itself after dying at ${at} and finishes: hosts clean, cluster forgotten, agents revoked`, async () => {
      const { state, hosts } = await world();
      for (const n of ALL) for (const p of PATHS) hosts.files.get(n)!.add(p);
      const first = fakeCoordinator(spec, state, hosts, { freezeAt: at, connected: ALL });
      await startReset(first.rt);
      await until(first.dead, `the coordinator to die at ${at}`);
      const second = restarted(state, hosts);
      createAdminService(second.rt).resumeInterrupted();
      await until(() => second.ops.length > 0, 'the resume');
      const op = second.ops[0]!;
      expect(op.kind).toBe('reset');
      await finished(op);
      expect(op.state).toBe('succeeded');
      for (const n of ALL) expect({ n, left: [...hosts.files.get(n)!] }).toEqual({ n, left: [] });
      expect(state.raw.spec.map.has('spec')).toBe(false);
      expect(state.raw.agents.map.size).toBe(0);
      expect(state.backends.stored().backends).toEqual([]);
      expect(state.raw.operation.map.get('operation')).toMatchObject({ kind: 'reset', status: 'succeeded' });
    });
  }

  it('resetting twice is safe: the second reset publishes nothing, revokes nobody and says there is nothing to reset', async () => {
    const { state, hosts } = await world();
    const c = fakeCoordinator(spec, state, hosts, { connected: ALL });
    const first = await startReset(c.rt);
    await finished(first);
    expect(first.state).toBe('succeeded');
    const version = state.backends.stored().version;
    const calls = hosts.calls.length;
    const second = await startReset(c.rt);
    const events = await finished(second);
    expect(second.state).toBe('succeeded');
    expect(events.map((e) => e.message).join('\n')).toMatch(/cluster prod has nothing to reset/);
    expect(state.backends.stored().version).toBe(version);
    expect(hosts.calls.length).toBe(calls);
  });
});

describe('a coordinator restarted mid add-node', () => {
  const without: ClusterSpec = { ...spec, nodes: spec.nodes.filter((n) => n.name !== 'worker-1') };

  it('resumes it with the spec it was started with; the same add-node attaches, a different file or command is refused', async () => {
    const state = await deployedState(without);
    const hosts = memoryHosts(spec, PATHS);
    const first = fakeCoordinator(spec, state, hosts, { freezeAt: 'validate', connected: ALL });
    await startAddNode(first.rt, text, 'worker-1');
    await until(() => first.started.includes('validate'), 'validate to start');
    expect(state.raw.operation.map.get('operation')).toMatchObject({ kind: 'add-node', key: 'worker-1', status: 'running' });
    // Killed as if before the new spec was stored: the record alone must be enough to run it again.
    await state.cluster.spec.put(without);

    const second = restarted(state, hosts, 'validate');
    await expect(startRemoveNode(second.rt, 'master-1')).rejects.toThrow(/an? add-node \(worker-1\) was cut off by a coordinator restart/);
    createAdminService(second.rt).resumeInterrupted();
    await until(() => second.started.includes('validate'), 'the resumed add-node to reach validate');
    const op = second.rt.operations.running()!;
    expect({ kind: op.kind, key: op.key }).toEqual({ kind: 'add-node', key: 'worker-1' });
    expect(second.started).toEqual(['add-node', 'validate']);
    expect((await second.rt.state.spec.get())!.value.nodes.map((n) => n.name)).toContain('worker-1');
    expect(await startAddNode(second.rt, text, 'worker-1')).toBe(op);
    await expect(startAddNode(second.rt, text.replace('198.18.0.22', '198.18.0.23'), 'worker-1')).rejects.toThrow(
      /an add-node of worker-1 is running with a different cluster.yaml/,
    );
    await expect(startReset(second.rt)).rejects.toThrow(/an? add-node \(worker-1\) is running/);
  });
});
