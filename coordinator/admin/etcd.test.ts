import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSpec } from '../../core/validate.js';
import { silentLogger } from '../../lib/log.js';
import type { TaskArgs, TaskKind } from '../../proto/index.js';
import { fakeEtcdStatus, fakeMember } from '../../test/support/fake-etcd.js';
import type { CoordinatorRuntime } from '../runtime.js';
import type { RunTaskOptions } from '../workflow/ports.js';
import { etcdStatus, startSnapshotSchedule, takeSnapshot } from './etcd.js';

const { spec } = loadSpec(readFileSync(new URL('../../test/fixtures/cluster.yaml', import.meta.url), 'utf8'));
const cps = spec.nodes.filter((n) => n.role === 'control-plane');
const dir = mkdtempSync(join(tmpdir(), 'kha-snap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A snapshot as etcd streams it: content, then the sha256 of the content. */
function etcdBytes(content: Buffer): Buffer {
  return Buffer.concat([content, createHash('sha256').update(content).digest()]);
}

function runtime(snapshotDir: string, stream: Buffer, options: { revision?: number; down?: string[]; spec?: typeof spec; running?: string } = {}) {
  const members = cps.map((n, i) => fakeMember(n.name, n.address, i, { down: options.down?.includes(n.name) }));
  const asked: string[] = [];
  const rt = {
    settings: { advertise: '127.0.0.1:9443', etcdSnapshotDir: snapshotDir },
    logger: silentLogger,
    operations: { running: () => (options.running ? { kind: options.running, key: 'x' } : undefined) },
    state: { spec: { get: async () => ({ value: options.spec ?? spec, revision: 1 }) } },
    hub: {
      connectedAgents: () => cps.map((n) => ({ name: n.name })),
      async runTask<K extends TaskKind>(agent: string, kind: K, _args: TaskArgs[K], opts: RunTaskOptions = {}) {
        asked.push(`${agent}:${kind}`);
        if (kind === 'etcdStatus') return fakeEtcdStatus(members, agent);
        if (kind === 'etcdSnapshot') {
          for (let i = 0; i < stream.length; i += 1000) opts.onData!(stream.subarray(i, i + 1000));
          return {
            size: stream.length,
            sha256: createHash('sha256').update(stream).digest('hex'),
            revision: options.revision ?? 42,
            memberId: '1001',
            memberName: agent,
          };
        }
        throw new Error(`unexpected ${kind}`);
      },
    },
  } as unknown as CoordinatorRuntime;
  return { rt, asked };
}

describe('etcd snapshot on the coordinator', () => {
  it('takes it from a healthy follower, checks it, stores it 0600 under a 0700 directory, and prunes to the count', async () => {
    const snaps = join(dir, 'ok');
    writeFileSync(join(dir, 'unrelated'), 'x');
    const bytes = etcdBytes(Buffer.alloc(5000, 7));
    const { rt, asked } = runtime(snaps, bytes);
    const first = await takeSnapshot(rt, { keep: 2 });
    expect(asked).toContain('master-1:etcdSnapshot');
    expect(first.path).toMatch(/\/prod-\d{8}T\d{6}\.\d{3}Z-rev42\.db$/);
    expect(readFileSync(first.path).equals(bytes)).toBe(true);
    expect(statSync(first.path).mode & 0o777).toBe(0o600);
    expect(statSync(snaps).mode & 0o777).toBe(0o700);
    writeFileSync(join(snaps, 'prod-20200101T000000Z-rev1.db'), 'old');
    writeFileSync(join(snaps, 'prod-20200102T000000Z-rev2.db'), 'old');
    writeFileSync(join(snaps, 'notes.txt'), 'mine');
    // Another revision: two snapshots within one second get different names only by their revision.
    const second = await takeSnapshot(runtime(snaps, bytes, { revision: 43 }).rt, { keep: 2 });
    expect(second.pruned).toEqual(['prod-20200101T000000Z-rev1.db', 'prod-20200102T000000Z-rev2.db']);
    expect(readdirSync(snaps).sort()).toEqual([...new Set([first.path, second.path].map((p) => p.split('/').pop()!)), 'notes.txt'].sort());
  });

  it('refuses a snapshot whose sha256 trailer is wrong or whose revision is 0, and keeps nothing of it', async () => {
    const snaps = join(dir, 'bad');
    const corrupt = etcdBytes(Buffer.alloc(3000, 1));
    corrupt[10] = 2;
    await expect(takeSnapshot(runtime(snaps, corrupt).rt)).rejects.toThrow(/failed its integrity check: etcd's sha256 trailer does not match/);
    await expect(takeSnapshot(runtime(snaps, etcdBytes(Buffer.alloc(10)), { revision: 0 }).rt)).rejects.toThrow(/reported revision 0/);
    expect(readdirSync(snaps)).toEqual([]);
  });

  it('refuses while an etcd restore runs (etcd is stopped, and pruning could take the file it restores)', async () => {
    const { rt, asked } = runtime(join(dir, 'restoring'), etcdBytes(Buffer.alloc(10)), { running: 'etcd-restore' });
    await expect(takeSnapshot(rt)).rejects.toThrow('an etcd restore is running: take a snapshot once it has finished');
    expect(asked).toEqual([]);
  });

  it('refuses without a healthy member, naming the problems', async () => {
    const { rt } = runtime(join(dir, 'down'), etcdBytes(Buffer.alloc(10)), { down: cps.map((n) => n.name) });
    await expect(takeSnapshot(rt)).rejects.toThrow(/no healthy etcd member to take a snapshot from:\n {2}- etcd quorum lost/);
  });

  it('etcd status judges what every control-plane agent says', async () => {
    const { rt } = runtime(join(dir, 'status'), Buffer.alloc(0), { down: ['master-2'] });
    const { assessment } = await etcdStatus(rt);
    expect(assessment.members.map((m) => [m.name, m.health.split(':')[0]])).toEqual([
      ['master-0', 'healthy'],
      ['master-1', 'healthy'],
      ['master-2', 'not answering'],
    ]);
    expect(assessment.healthy).toBe(false);
  });
});

describe('scheduled etcd snapshots (spec.kubernetes.etcd.snapshots)', () => {
  it('takes one when none is newer than `every`, then waits for the next', async () => {
    const scheduled = { ...spec, kubernetes: { ...spec.kubernetes, etcd: { snapshots: { everyMs: 6 * 3_600_000, keep: 3 } } } };
    const snaps = join(dir, 'scheduled');
    const { rt, asked } = runtime(snaps, etcdBytes(Buffer.alloc(100)), { spec: scheduled });
    const schedule = startSnapshotSchedule(rt, 20);
    try {
      for (let i = 0; i < 100 && !asked.some((a) => a.endsWith('etcdSnapshot')); i++) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      schedule.stop();
    }
    expect(asked.filter((a) => a.endsWith('etcdSnapshot'))).toHaveLength(1);
    expect(readdirSync(snaps)).toEqual([expect.stringMatching(/^prod-\d{8}T\d{6}\.\d{3}Z-rev42\.db$/)]);
  });

  it('takes none when the spec asks for none', async () => {
    const { rt, asked } = runtime(join(dir, 'unscheduled'), etcdBytes(Buffer.alloc(100)));
    const schedule = startSnapshotSchedule(rt, 10);
    await new Promise((r) => setTimeout(r, 100));
    schedule.stop();
    expect(asked).toEqual([]);
  });
});
