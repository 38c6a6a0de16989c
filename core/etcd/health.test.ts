import { describe, expect, it } from 'vitest';
import { peerUrlOf, type EtcdMemberInfo } from './gateway.js';
import { assessEtcd, danglingMember, healthyReporters, type EtcdExpectedNode, type EtcdNodeReport } from './health.js';

const NODES: EtcdExpectedNode[] = [
  { name: 'master-0', address: '198.18.0.11' },
  { name: 'master-1', address: '198.18.0.12' },
  { name: 'master-2', address: '198.18.0.13' },
];
const MiB = 1024 * 1024;

interface M {
  name: string;
  address: string;
  id: string;
  learner?: boolean;
}
const member = (m: M): EtcdMemberInfo => ({
  id: m.id,
  name: m.name,
  peerUrls: [peerUrlOf(m.address)],
  clientUrls: m.name ? [`https://${m.address}:2379`] : [],
  isLearner: m.learner === true,
});
const MEMBERS: M[] = NODES.map((n, i) => ({ ...n, id: `a${i}` }));

/** Every node answers with the same member list and `a0` as leader, unless changed. */
function reports(members: M[] = MEMBERS, change: (r: EtcdNodeReport) => EtcdNodeReport = (r) => r): EtcdNodeReport[] {
  return NODES.map((n) => {
    const self = members.find((m) => m.name === n.name);
    return change({
      node: n.name,
      members: members.map(member),
      ...(self
        ? {
            endpoint: {
              memberId: self.id,
              leaderId: 'a0',
              raftTerm: 2,
              raftIndex: 10,
              dbSize: 10 * MiB,
              dbSizeInUse: 8 * MiB,
              version: '3.5.16',
              errors: [],
              dbSizeQuota: 0,
              isLearner: self.learner === true,
              revision: 5,
            },
          }
        : { endpointError: 'ECONNREFUSED' }),
      alarms: [],
    });
  });
}

describe('assessEtcd', () => {
  it('a healthy cluster: no problem, one row per member, the leader marked', () => {
    const a = assessEtcd(NODES, reports());
    expect(a.problems).toEqual([]);
    expect(a.healthy).toBe(true);
    expect(a.quorum).toBe(true);
    expect(a.leaderId).toBe('a0');
    expect(a.members.map((m) => [m.name, m.node, m.leader, m.health, m.dbQuota])).toEqual([
      ['master-0', 'master-0', true, 'healthy', 2 * 1024 ** 3],
      ['master-1', 'master-1', false, 'healthy', 2 * 1024 ** 3],
      ['master-2', 'master-2', false, 'healthy', 2 * 1024 ** 3],
    ]);
  });

  it('the member list must match the control-plane nodes one to one, by name and peer URL', () => {
    const wrongName = MEMBERS.map((m) => (m.name === 'master-1' ? { ...m, name: 'old-1' } : m));
    expect(assessEtcd(NODES, reports(wrongName)).problems).toContain(
      'master-1: etcd member old-1 (a1) has its peer URL https://198.18.0.12:2380 but the name old-1',
    );
    const wrongPeer = MEMBERS.map((m) => (m.name === 'master-2' ? { ...m, address: '198.18.0.99' } : m));
    expect(assessEtcd(NODES, reports(wrongPeer)).problems).toContain(
      'master-2: etcd member master-2 (a2) has peer URL https://198.18.0.99:2380, not https://198.18.0.13:2380',
    );
    const extra = [...MEMBERS, { name: 'gone-3', address: '198.18.0.14', id: 'a3' }];
    expect(assessEtcd(NODES, reports(extra)).problems).toContain(
      'etcd member gone-3 (a3) with peer URL https://198.18.0.14:2380 belongs to no control-plane node',
    );
    const missing = MEMBERS.filter((m) => m.name !== 'master-2');
    expect(assessEtcd(NODES, reports(missing)).problems).toContain('master-2: no etcd member with its name and peer URL https://198.18.0.13:2380');
  });

  it('every member answers its status without errors', () => {
    const down = reports(MEMBERS, (r) => (r.node === 'master-1' ? { node: r.node, error: 'agent not connected' } : r));
    const a = assessEtcd(NODES, down);
    expect(a.problems).toEqual(['etcd member master-1 (a1) is not answering (master-1: agent not connected)']);
    expect(a.quorum).toBe(true);
    expect(a.members[1]!.health).toBe('not answering: agent not connected');
    const erring = reports(MEMBERS, (r) => (r.node === 'master-2' ? { ...r, endpoint: { ...r.endpoint!, errors: ['corrupt backend'] } } : r));
    expect(assessEtcd(NODES, erring).problems).toEqual(['etcd member master-2 (a2) reports errors: corrupt backend']);
  });

  it('quorum is lost when fewer than a majority of the voting members answer', () => {
    const twoDown = reports(MEMBERS, (r) => (r.node === 'master-0' ? r : { node: r.node, members: r.members!, endpointError: 'ECONNREFUSED', alarms: [] }));
    const a = assessEtcd(NODES, twoDown);
    expect(a.quorum).toBe(false);
    expect(a.problems[0]).toBe('etcd quorum lost: 1 of 3 voting members answer, 2 needed (master-1: ECONNREFUSED; master-2: ECONNREFUSED)');
    const none = NODES.map((n) => ({ node: n.name, error: 'agent not connected' }));
    const b = assessEtcd(NODES, none);
    expect(b.problems).toEqual([
      'etcd quorum lost: 0 of 3 voting members answer, 2 needed (master-0: agent not connected; master-1: agent not connected; master-2: agent not connected)',
      'no control-plane node could read the etcd member list (master-0: agent not connected; master-1: agent not connected; master-2: agent not connected)',
    ]);
    expect(b.healthy).toBe(false);
  });

  it('exactly one leader, agreed by all, and a member', () => {
    const split = reports(MEMBERS, (r) => (r.node === 'master-2' ? { ...r, endpoint: { ...r.endpoint!, leaderId: 'a2' } } : r));
    expect(assessEtcd(NODES, split).problems).toEqual(['the etcd members disagree on the leader: master-0, master-1 say a0; master-2 say a2']);
    const none = reports(MEMBERS, (r) => ({ ...r, endpoint: { ...r.endpoint!, leaderId: '0' } }));
    expect(assessEtcd(NODES, none).problems).toContain('master-0: its etcd member knows no leader');
    const stranger = reports(MEMBERS, (r) => ({ ...r, endpoint: { ...r.endpoint!, leaderId: 'ff' } }));
    expect(assessEtcd(NODES, stranger).problems).toEqual(['the etcd leader ff is not in the member list']);
  });

  it('no learner left', () => {
    const learner = MEMBERS.map((m) => (m.name === 'master-2' ? { ...m, learner: true } : m));
    expect(assessEtcd(NODES, reports(learner)).problems).toEqual(['etcd member master-2 (a2) is still a learner (a join that did not finish promoting it)']);
  });

  it('no alarms, each named once', () => {
    const alarmed = reports(MEMBERS, (r) => ({
      ...r,
      alarms: [{ memberId: 'a1', alarm: 'NOSPACE' }, ...(r.node === 'master-0' ? [{ memberId: 'a2', alarm: 'CORRUPT' }] : [])],
    }));
    const a = assessEtcd(NODES, alarmed);
    expect(a.problems).toEqual([
      'etcd alarm NOSPACE on etcd member master-1 (a1): the cluster refuses writes until it is compacted, defragmented and the alarm disarmed',
      'etcd alarm CORRUPT on etcd member master-2 (a2)',
    ]);
    expect(a.members.map((m) => m.alarms)).toEqual([[], ['NOSPACE'], ['CORRUPT']]);
  });

  it('database size against the quota: a warning above 80 %, a problem at the quota; a reported quota wins over the default', () => {
    const sized = (dbSize: number, dbSizeQuota = 0) =>
      reports(MEMBERS, (r) => (r.node === 'master-1' ? { ...r, endpoint: { ...r.endpoint!, dbSize, dbSizeQuota } } : r));
    const warn = assessEtcd(NODES, sized(1800 * MiB));
    expect(warn.problems).toEqual([]);
    expect(warn.warnings).toEqual(['etcd member master-1 (a1): database 1.76 GiB is 88 % of its 2.00 GiB quota; compact and defragment it']);
    expect(assessEtcd(NODES, sized(2048 * MiB)).problems).toEqual(['etcd member master-1 (a1): database 2.00 GiB has reached its quota of 2.00 GiB']);
    expect(assessEtcd(NODES, sized(1800 * MiB, 8 * 1024 * MiB)).warnings).toEqual([]);
  });

  it('nodes that read different member lists are a problem', () => {
    const diverged = reports(MEMBERS, (r) => (r.node === 'master-2' ? { ...r, members: r.members!.slice(0, 2) } : r));
    expect(assessEtcd(NODES, diverged).problems[0]).toBe(
      'the control-plane nodes see different etcd member lists: master-0, master-1: master-0, master-1, master-2; master-2: master-0, master-1',
    );
  });

  it('remove-node asks about the cluster without its target: a dead target is fine, one more dead member is not', () => {
    const remaining = NODES.slice(0, 2);
    const targetDown = reports(MEMBERS, (r) => (r.node === 'master-2' ? { node: r.node, error: 'agent not connected' } : r)).slice(0, 2);
    expect(assessEtcd(remaining, targetDown, { excludePeerUrls: [peerUrlOf('198.18.0.13')] }).problems).toEqual([]);
    const anotherDown = reports(MEMBERS, (r) => (r.node === 'master-0' ? r : { node: r.node, error: 'agent not connected' })).slice(0, 2);
    expect(assessEtcd(remaining, anotherDown, { excludePeerUrls: [peerUrlOf('198.18.0.13')] }).problems[0]).toMatch(
      /^etcd quorum lost: 1 of 2 voting members answer, 2 needed/,
    );
    // The target led: etcd elects another leader when it leaves.
    const targetLeads = reports(MEMBERS, (r) => ({ ...r, endpoint: { ...r.endpoint!, leaderId: 'a2' } })).slice(0, 2);
    expect(assessEtcd(remaining, targetLeads, { excludePeerUrls: [peerUrlOf('198.18.0.13')] }).problems).toEqual([]);
  });

  it('a dangling member: the one with the joining node peer URL; healthy reporters exclude a node', () => {
    const members = [...MEMBERS.slice(0, 2), { name: '', address: '198.18.0.13', id: 'a9', learner: true }].map(member);
    expect(danglingMember(members, '198.18.0.13')?.id).toBe('a9');
    expect(danglingMember(members, '198.18.0.14')).toBeUndefined();
    const all = reports();
    expect(healthyReporters(all, ['master-0']).map((r) => r.node)).toEqual(['master-1', 'master-2']);
    expect(healthyReporters([{ node: 'x', error: 'down' }])).toEqual([]);
  });
});
