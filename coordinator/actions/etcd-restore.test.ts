import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSpec } from '../../core/validate.js';
import type { DeployEvent } from '../../proto/generated/kubeadm_ha/v1/DeployEvent.js';
import { deployedState, fakeCoordinator, memoryHosts, type MemoryHosts, type MemoryState } from '../../test/support/fake-runtime.js';
import { READ_ONLY_TASKS } from '../../core/task-overlap.js';
import type { Operation } from '../admin/operations.js';
import { createAdminService } from '../admin/service.js';
import { startEtcdRestore } from './etcd-restore.js';

const spec = loadSpec(readFileSync(new URL('../../test/fixtures/cluster.yaml', import.meta.url), 'utf8')).spec;
const ALL = spec.nodes.map((n) => n.name);
const MASTERS = spec.nodes.filter((n) => n.role === 'control-plane').map((n) => n.name);
const dir = mkdtempSync(join(tmpdir(), 'kha-restore-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A file as etcd's snapshot writes it: content, then the sha256 of the content. */
function snapshotFile(name: string, bytes = 3 * 1024 * 1024 + 17): string {
  const content = Buffer.alloc(bytes, 5);
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat([content, createHash('sha256').update(content).digest()]));
  return path;
}

async function finished(op: Operation): Promise<DeployEvent[]> {
  const events: DeployEvent[] = [];
  await op.follow((e) => void events.push(e));
  return events;
}

async function world(): Promise<{ state: MemoryState; hosts: MemoryHosts }> {
  return { state: await deployedState(spec), hosts: memoryHosts(spec, []) };
}

const PHASES = [
  'etcd-restore',
  'restore-stage-snapshot',
  'restore-stop-apiservers',
  'restore-stop-etcd',
  'restore-members',
  'restore-start-etcd',
  'restore-start-control-plane',
  'restore-verify',
];

describe('etcd restore', () => {
  const path = snapshotFile('prod-20261203T163000.123Z-rev100.db');

  it('stages, stops the control plane, rebuilds every member under one new token, starts etcd then the rest, and verifies', async () => {
    const { state, hosts } = await world();
    const before = hosts.hosts.etcdMembers.map((m) => m.id);
    const c = fakeCoordinator(spec, state, hosts, { connected: ALL });
    const events = await finished(await startEtcdRestore(c.rt, path, { confirmed: true }));
    expect(events.filter((e) => e.level === 'LOG_LEVEL_ERROR').map((e) => e.message)).toEqual([]);
    expect(c.started).toEqual(PHASES);
    // 3 MiB + 17 bytes: four chunks to each control-plane node, none to a worker.
    for (const m of MASTERS) expect(hosts.calls.filter((x) => x === `${m}:etcdStageSnapshot`)).toHaveLength(4);
    expect(hosts.calls.some((x) => x.startsWith('worker'))).toBe(false);
    const ids = new Set(hosts.restoredBy.values());
    expect(ids.size).toBe(1);
    expect([...hosts.restoredBy.keys()].sort()).toEqual([...MASTERS].sort());
    expect(hosts.hosts.etcdMembers.map((m) => m.id).filter((id) => before.includes(id))).toEqual([]);
    expect(hosts.hosts.etcdMembers.every((m) => !m.down)).toBe(true);
    expect([...hosts.parked.values()].every((p) => p.size === 0)).toBe(true);
    // Apiservers stop before etcd does, and start after etcd is back, on every node.
    for (const m of MASTERS) {
      const mine = hosts.calls.filter((x) => x.startsWith(`${m}:`) && !x.endsWith(':etcdStatus') && !x.endsWith(':etcdStageSnapshot'));
      expect(mine).toEqual([
        `${m}:parkControlPlane`,
        `${m}:parkControlPlane`,
        `${m}:etcdRestoreMember`,
        `${m}:parkControlPlane`,
        `${m}:parkControlPlane`,
        `${m}:waitApiserver`,
        `${m}:waitApiserver`,
      ]);
    }
    expect(events.find((e) => e.phase === 'etcd-restore')?.message).toMatch(
      /restoring .*rev100\.db \(taken 2026-12-03T16:30:00\.123Z\): etcd is at revision 42, below the snapshot's 100/,
    );
    expect(state.raw.operation.map.get('operation')).toMatchObject({
      kind: 'etcd-restore',
      key: path,
      status: 'succeeded',
      restore: { restoreId: [...ids][0] },
    });
  });

  it('without --yes only asks and describes: no task that changes a host, no record', async () => {
    const { state, hosts } = await world();
    const c = fakeCoordinator(spec, state, hosts, { connected: ALL });
    const events = await finished(await startEtcdRestore(c.rt, path, { confirmed: false }));
    expect(hosts.calls.every((x) => READ_ONLY_TASKS.has(x.split(':')[1] as never))).toBe(true);
    expect(events.map((e) => e.message).join('\n')).toMatch(/would run: Restore every etcd member from the snapshot/);
    expect(events.some((e) => /nothing changed\. To restore, run it again with --yes/.test(e.message ?? ''))).toBe(true);
    expect(state.raw.operation.map.has('operation')).toBe(false);
  });

  it('refuses before touching anything: an agent not connected, a file without etcd trailer, a relative path, no such file', async () => {
    const { state, hosts } = await world();
    const c = fakeCoordinator(spec, state, hosts, { connected: ALL.filter((n) => n !== MASTERS[2]) });
    await expect(startEtcdRestore(c.rt, path, { confirmed: true })).rejects.toThrow(`${MASTERS[2]} is not connected`);
    const full = fakeCoordinator(spec, state, hosts, { connected: ALL });
    const plain = join(dir, 'plain.db');
    writeFileSync(plain, Buffer.alloc(4096, 1));
    await expect(startEtcdRestore(full.rt, plain, { confirmed: true })).rejects.toThrow("does not end with etcd's sha256 of its content");
    await expect(startEtcdRestore(full.rt, 'some/relative.db', { confirmed: true })).rejects.toThrow('is relative; give an absolute path');
    await expect(startEtcdRestore(full.rt, join(dir, 'missing.db'), { confirmed: true })).rejects.toThrow('no such file');
    expect(hosts.calls.filter((x) => !x.endsWith(':etcdStatus'))).toEqual([]);
  });

  for (const at of ['restore-stop-etcd', 'restore-members', `task:${MASTERS[1]}:etcdRestoreMember`, 'restore-start-etcd', 'restore-verify']) {
    it(`a coordinator killed at ${at} resumes the same restore (same token), rebuilding no member twice`, async () => {
      const { state, hosts } = await world();
      const first = fakeCoordinator(spec, state, hosts, { connected: ALL, freezeAt: at });
      void startEtcdRestore(first.rt, path, { confirmed: true });
      const deadline = Date.now() + 5_000;
      while (!first.dead()) {
        if (Date.now() > deadline) throw new Error(`never reached ${at}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      const token = (state.raw.operation.map.get('operation') as { restore?: { restoreId: string } }).restore?.restoreId;
      expect(token).toMatch(/^restore-/);
      const second = fakeCoordinator(spec, state, hosts, { connected: ALL });
      createAdminService(second.rt).resumeInterrupted();
      const wait = Date.now() + 5_000;
      while (second.ops.length === 0 && Date.now() < wait) await new Promise((r) => setTimeout(r, 5));
      const events = await finished(second.ops[0]!);
      expect(events.filter((e) => e.level === 'LOG_LEVEL_ERROR').map((e) => e.message)).toEqual([]);
      expect(new Set(hosts.restoredBy.values())).toEqual(new Set([token]));
      for (const m of MASTERS)
        expect(hosts.calls.filter((x) => x === `${m}:etcdRestoreMember`).length).toBeLessThanOrEqual(
          at === `task:${MASTERS[1]}:etcdRestoreMember` && m === MASTERS[1] ? 2 : 1,
        );
      expect(hosts.hosts.etcdMembers.every((m) => !m.down)).toBe(true);
      expect(state.raw.operation.map.get('operation')).toMatchObject({ kind: 'etcd-restore', status: 'succeeded', resumed: 1 });
    });
  }

  it('does not resume onto a file that changed since the restore started', async () => {
    const changing = snapshotFile('changing.db', 2048);
    const { state, hosts } = await world();
    const first = fakeCoordinator(spec, state, hosts, { connected: ALL, freezeAt: 'restore-stop-etcd' });
    void startEtcdRestore(first.rt, changing, { confirmed: true });
    while (!first.dead()) await new Promise((r) => setTimeout(r, 5));
    snapshotFile('changing.db', 4096);
    const second = fakeCoordinator(spec, state, hosts, { connected: ALL });
    await expect(startEtcdRestore(second.rt, changing, { confirmed: true })).rejects.toThrow('changed since the restore started');
  });
});

describe('etcd restore run again after it failed', () => {
  it('goes on under the same token: members it rebuilt are not rebuilt again', async () => {
    const path = snapshotFile('again-20261203T163000.123Z-rev100.db');
    const { state, hosts } = await world();
    const c = fakeCoordinator(spec, state, hosts, { connected: ALL });
    // The first run fails once every member is rebuilt (its apiservers do not come back in time, say).
    const runTask = hosts.runTask;
    let failOnce = true;
    (hosts as { runTask: typeof runTask }).runTask = async (agent, kind, args) => {
      if (kind === 'waitApiserver' && failOnce) {
        failOnce = false;
        throw new Error(`${agent}: apiserver not healthy after 300000 ms`);
      }
      return runTask(agent, kind, args);
    };
    await finished(await startEtcdRestore(c.rt, path, { confirmed: true }));
    const first = state.raw.operation.map.get('operation') as { status: string; restore: { restoreId: string } };
    expect(first.status).toBe('failed');
    const rebuilt = hosts.calls.filter((x) => x.endsWith(':etcdRestoreMember')).length;
    const events = await finished(await startEtcdRestore(c.rt, path, { confirmed: true }));
    expect(events.filter((e) => e.level === 'LOG_LEVEL_ERROR').map((e) => e.message)).toEqual([]);
    expect(new Set(hosts.restoredBy.values())).toEqual(new Set([first.restore.restoreId]));
    expect(hosts.calls.filter((x) => x.endsWith(':etcdRestoreMember')).length).toBe(rebuilt);
  });
});
