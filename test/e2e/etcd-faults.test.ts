/**
 * Issue 12: etcd faults that must behave as in life, with real etcd members under the simulated kubeadm (the kubelet
 * stand-in runs Debian's etcd from each node's etcd.yaml), real keepalived, haproxy and VRRP, and the product's gates
 * on (no --force):
 * - a control-plane join killed between the etcd `member add` and the member's start leaves a dangling member; the
 *   next deploy cleans it up instead of failing forever;
 * - `etcd snapshot` takes a checked snapshot from a member through its agent and keeps it 0600 on the coordinator host;
 * - `etcd restore --from FILE --yes` brings the cluster back to the snapshot: an object deleted since is back, one
 *   created since is gone, every member is rebuilt (new member ids), all healthy with one leader, the VIP answers;
 * - one member stops: quorum holds, the apiserver through the VIP keeps answering, verify names the member;
 * - two of three stop: the apiservers' readyz fails, verify says quorum is lost, and deploy refuses before touching
 *   any host.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeE2E } from '../netns/describe-e2e.js';
import { httpGetFrom } from '../netns/http-client.js';
import { ensureBuilt } from './build.js';
import { E2eCluster, type CtlResult, type E2eHost } from './cluster.js';

const HOSTS: E2eHost[] = [
  { name: 'master-0', address: '198.18.0.11', role: 'control-plane' },
  { name: 'master-1', address: '198.18.0.12', role: 'control-plane' },
  { name: 'master-2', address: '198.18.0.13', role: 'control-plane' },
  { name: 'worker-0', address: '198.18.0.21', role: 'worker' },
];

interface EtcdStatus {
  members: { id: string; name: string; peerUrl: string; learner: boolean; health: string; leader: boolean }[];
  problems: string[];
  healthy: boolean;
}

describeE2E('e2e: etcd faults with real members (dangling member, one down, quorum lost)', () => {
  let c: E2eCluster;
  let first: CtlResult;

  const etcdStatus = async (): Promise<EtcdStatus> => JSON.parse((await c.ctl(['etcd', 'status', '-o', 'json'])).stdout) as EtcdStatus;
  const all = (r: CtlResult) => `${r.stdout}\n${r.stderr}`;

  /** Takes a node's etcd static pod away, as an outage would: the kubelet stand-in stops the member and leaves it down. */
  const stopMember = async (host: string) => {
    const manifests = join(c.root(host), 'etc/kubernetes/manifests');
    renameSync(join(manifests, 'etcd.yaml'), join(c.root(host), 'etc/kubernetes/etcd.yaml.parked'));
    await c.standins.get(host)!.waitUntilStopped('etcd', { timeoutMs: 30_000 });
  };

  beforeAll(async () => {
    await ensureBuilt();
    c = await E2eCluster.create({ name: 'e2e-etcd', hosts: HOSTS });
    await c.bringUp();
    // master-2's first control-plane join dies right after its etcd member is added (SIGKILL, one shot).
    mkdirSync(join(c.root('master-2'), 'etc/kubeadm-sim'), { recursive: true });
    writeFileSync(join(c.root('master-2'), 'etc/kubeadm-sim/crash-at'), 'after-member-add\n');
    first = await c.deploy();
  }, 300_000);

  afterAll(async () => {
    await c?.destroy();
  }, 120_000);

  it('a join killed between member add and the member start: the next deploy removes the dangling member and joins', async () => {
    expect(first.code, all(first).slice(-2000)).not.toBe(0);
    expect(existsSync(join(c.root('master-2'), 'etc/kubeadm-sim/crash-at'))).toBe(false);
    expect(all(first)).toMatch(/master-2/);
    const between = await etcdStatus();
    console.log(`after the killed join: ${between.members.map((m) => `${m.name || '(unstarted)'} ${m.peerUrl}${m.learner ? ' learner' : ''}`).join(', ')}`);
    const again = await c.ctl(['deploy', '-f', c.specPath], 240_000);
    if (again.code !== 0) console.error(again.stdout.slice(-4000), again.stderr.slice(-2000), '\nlogs in', c.logs());
    expect(again.code).toBe(0);
    // The Node was Ready (kubeadm registers the kubelet before it adds the member): the product saw the unstarted member.
    expect(again.stdout).toMatch(/\[join-control-plane master-2\] an earlier join was cut off here \(.*etcd member \S+ was added but never started\)/);
    const after = await etcdStatus();
    expect(after.members.map((m) => m.name).sort()).toEqual(['master-0', 'master-1', 'master-2']);
    expect(after.members.map((m) => m.peerUrl).sort()).toEqual(HOSTS.filter((h) => h.role === 'control-plane').map((h) => `https://${h.address}:2380`));
    expect(after.members.filter((m) => m.learner)).toEqual([]);
    expect(after.members.filter((m) => m.leader).length).toBe(1);
    expect({ healthy: after.healthy, problems: after.problems }).toEqual({ healthy: true, problems: [] });
    const verified = await c.ctl(['verify']);
    expect(verified.code, all(verified)).toBe(0);
  }, 300_000);

  it('etcd snapshot: streamed from a healthy member through its agent, checked, stored 0600 on the coordinator host, pruned', async () => {
    const taken: { path: string; size: number; revision: number; sha256: string }[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await c.ctl(['etcd', 'snapshot', '--keep', '1', '-o', 'json']);
      expect(r.code, all(r)).toBe(0);
      taken.push(JSON.parse(r.stdout) as (typeof taken)[number]);
    }
    const [older, newer] = taken as [(typeof taken)[number], (typeof taken)[number]];
    expect(newer.path.startsWith(join(c.dataDir, 'etcd-snapshots'))).toBe(true);
    const bytes = readFileSync(newer.path);
    expect(bytes.length).toBe(Number(newer.size));
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(newer.sha256);
    // etcd's own trailer: the last 32 bytes are the sha256 of everything before them.
    expect(createHash('sha256').update(bytes.subarray(0, -32)).digest('hex')).toBe(bytes.subarray(-32).toString('hex'));
    expect(Number(newer.revision)).toBeGreaterThan(0);
    expect(statSync(newer.path).mode & 0o777).toBe(0o600);
    // --keep 1: only the newest of this cluster's snapshots is left (named to the millisecond, so never the same file).
    expect(older.path).not.toBe(newer.path);
    expect(existsSync(older.path)).toBe(false);
  }, 120_000);

  it('etcd restore: objects written before the snapshot are back, later ones gone, three new healthy members, the VIP answers', async () => {
    const kubeadm = async (...args: string[]) => {
      const r = await c.lab.exec('master-0', 'kubeadm', args, { env: c.agentEnv(HOSTS[0]!), reject: false, timeoutMs: 30_000 });
      expect(r.exitCode, `kubeadm ${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0);
      return r.stdout;
    };
    const tokens = async () => (await kubeadm('token', 'list', '-o', 'json')).match(/"token": "([a-z0-9]{6})\./g)?.map((t) => t.slice(-7, -1)) ?? [];
    const recorded = () => BigInt((JSON.parse(readFileSync(join(c.simState, 'cluster.json'), 'utf8')) as { etcdRevision?: string }).etcdRevision ?? '0');
    /** Until the apiservers have written the state's objects through to etcd (a file watch and a 300 ms poll). */
    const writtenThrough = async (after: bigint) => c.waitFor(() => recorded() > after, 10_000, 'the apiservers to write the change through to etcd');

    let mark = recorded();
    const kept = (await kubeadm('token', 'create', '--ttl', '2h', '--description', 'before the snapshot')).trim().split('.')[0]!;
    await writtenThrough(mark);
    const snap = await c.ctl(['etcd', 'snapshot', '-o', 'json']);
    expect(snap.code, all(snap)).toBe(0);
    const { path, revision } = JSON.parse(snap.stdout) as { path: string; revision: number };
    mark = recorded();
    await kubeadm('token', 'delete', kept);
    const later = (await kubeadm('token', 'create', '--ttl', '2h', '--description', 'after the snapshot')).trim().split('.')[0]!;
    await writtenThrough(mark);
    expect(await tokens()).toEqual(expect.arrayContaining([later]));
    expect(await tokens()).not.toContain(kept);
    const before = await etcdStatus();

    // Without --yes: what it would do and what is lost, exit 1, and nothing changes.
    const asked = await c.ctl(['etcd', 'restore', '--from', path]);
    expect(asked.code, all(asked)).toBe(1);
    expect(all(asked)).toMatch(new RegExp(`etcd is at revision \\d+ and the snapshot at ${revision}: \\d+ revisions of writes are lost`));
    expect(all(asked)).toMatch(/refusing to restore without --yes/);
    expect(all(asked)).toMatch(/would run: Restore every etcd member from the snapshot/);
    expect(existsSync(join(c.root('master-0'), 'etc/kubernetes/manifests/kube-apiserver.yaml'))).toBe(true);

    const restored = await c.ctl(['etcd', 'restore', '--from', path, '--yes'], 600_000);
    if (restored.code !== 0) console.error(restored.stdout.slice(-6000), restored.stderr.slice(-2000), '\nlogs in', c.logs());
    expect(restored.code).toBe(0);
    for (const phase of [
      'restore-stage-snapshot',
      'restore-stop-apiservers',
      'restore-stop-etcd',
      'restore-members',
      'restore-start-etcd',
      'restore-start-control-plane',
      'restore-verify',
    ])
      expect(restored.stdout).toContain(`[${phase}]`);

    // The objects are as the snapshot had them.
    expect(await tokens()).toContain(kept);
    expect(await tokens()).not.toContain(later);
    // Every member rebuilt under a new cluster token (new ids), same names and peer URLs, healthy, one leader.
    const after = await etcdStatus();
    expect({ healthy: after.healthy, problems: after.problems }).toEqual({ healthy: true, problems: [] });
    expect(after.members.map((m) => `${m.name} ${m.peerUrl}`).sort()).toEqual(before.members.map((m) => `${m.name} ${m.peerUrl}`).sort());
    const ids = (s: EtcdStatus) => s.members.map((m) => m.id).sort();
    expect(ids(after).filter((id) => ids(before).includes(id))).toEqual([]);
    expect(after.members.filter((m) => m.leader).length).toBe(1);
    expect((await c.healthz('worker-0', 3000)).status).toBe(200);
    for (const host of ['master-0', 'master-1', 'master-2']) {
      const root = c.root(host);
      // The data from before is kept; the one-shot pod and the staged snapshot are gone; the manifests are back.
      expect(readdirSync(join(root, 'var/lib')).filter((d) => d.startsWith('etcd.before-restore-'))).toHaveLength(1);
      expect(existsSync(join(root, 'etc/kubernetes/manifests/kubeadm-ha-etcd-restore.yaml'))).toBe(false);
      expect(existsSync(join(root, 'var/lib/etcd.kubeadm-ha-restore/snapshot.db'))).toBe(false);
      expect(existsSync(join(root, 'etc/kubernetes/manifests/kube-apiserver.yaml'))).toBe(true);
      expect(existsSync(join(root, 'etc/kubernetes/manifests/etcd.yaml'))).toBe(true);
      // etcdutl ran (as Debian's etcdctl 3.4, which lacks the revision bump: the stand-in says it dropped it).
      expect(
        c.standins
          .get(host)!
          .events()
          .some((e) => e.kind === 'ignored' && /lacks --bump-revision --mark-compacted/.test(e.detail)),
      ).toBe(true);
    }
    const verified = await c.ctl(['verify']);
    expect(verified.code, all(verified)).toBe(0);
  }, 600_000);

  it('one member stops: quorum holds, the VIP keeps answering, and verify names the member', async () => {
    await stopMember('master-1');
    await c.waitFor(async () => (await c.healthz('worker-0', 3000)).status === 200, 15_000, 'the VIP to answer 200 with one member down');
    const verified = await c.ctl(['verify']);
    expect(verified.code).not.toBe(0);
    expect(all(verified)).toMatch(/etcd[^\n]*master-1|master-1[^\n]*etcd/);
    const status = await etcdStatus();
    expect(status.healthy).toBe(false);
    expect(status.problems.join('\n')).toMatch(/master-1/);
    expect(status.problems.join('\n')).not.toMatch(/quorum/i);
  }, 120_000);

  it('two of three stop: readyz fails, verify says quorum is lost, and deploy refuses before touching any host', async () => {
    await stopMember('master-2');
    const readyz = () => httpGetFrom(c.lab, 'worker-0', 'https://198.18.0.11:6443/readyz', { timeoutMs: 4000 });
    await c.waitFor(async () => (await readyz()).status === 500, 20_000, "master-0's readyz to fail without quorum");
    expect((await readyz()).body).toMatch(/\[-\]etcd failed/);
    const verified = await c.ctl(['verify']);
    expect(verified.code).not.toBe(0);
    expect(all(verified)).toMatch(/quorum/i);
    // kubeadm and kubectl runs that change or read the cluster (preflight's `kubeadm version` runs before the gate).
    const calls = () =>
      (existsSync(join(c.simState, 'invocations.jsonl')) ? readFileSync(join(c.simState, 'invocations.jsonl'), 'utf8') : '')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { argv: string[] })
        .filter((i) => i.argv[0] !== 'version').length;
    const before = calls();
    const refused = await c.deploy();
    expect(refused.code).not.toBe(0);
    expect(all(refused)).toMatch(/etcd-health-gate/);
    expect(all(refused)).toMatch(/quorum/i);
    // Nothing reached a host: no phase after the gate started, and no kubeadm or kubectl ran.
    expect(refused.stdout).not.toMatch(/\[(prepare-hosts|load-balancer|init|join-control-plane|join-workers)\]/);
    expect(calls()).toBe(before);
  }, 180_000);

  it('with quorum lost, upgrade and certs renew refuse before touching any node, naming the rule', async () => {
    const upgrade = await c.ctl(['upgrade', '--to', 'v1.32.0']);
    expect(upgrade.code).not.toBe(0);
    expect(all(upgrade)).toMatch(/refusing to upgrade to v1\.32\.0:\n(.*\n)* {2}- etcd healthy: etcd quorum lost: 1 of 3 voting members answer, 2 needed/);
    const renew = await c.ctl(['certs', 'renew']);
    expect(renew.code).not.toBe(0);
    expect(all(renew)).toMatch(/refusing to renew certificates:\n(.*\n)* {2}- etcd healthy: etcd quorum lost: 1 of 3 voting members answer, 2 needed/);
    // Neither opened a window: no backend left draining, no kubeadm upgrade or certs renew ran.
    for (const m of ['master-0', 'master-1', 'master-2']) {
      const states = await c.backendStates(m);
      expect(Object.keys(states).sort()).toEqual(['master-0', 'master-1', 'master-2']);
      expect(Object.values(states).filter((s) => s === 'MAINT' || s === 'DRAIN')).toEqual([]);
    }
    expect(all(upgrade) + all(renew)).not.toMatch(/maintenance window opens/);
  }, 180_000);
});
