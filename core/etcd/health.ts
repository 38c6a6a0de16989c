/**
 * Is etcd healthy? Pure: from the control-plane nodes that should be members and what each node's agent read from
 * its own etcd (EtcdStatus: the member list, its endpoint status, the alarms), the problems, one line each naming the
 * member or the node, and the member table. The checks are seed 000's and Cluster API's:
 * - the member list matches the control-plane nodes one to one, by name and peer URL (https://ADDRESS:2380);
 * - every member answers its status, without errors;
 * - a majority of the voting members answers (otherwise quorum is lost and nothing else can be trusted);
 * - exactly one leader, the same for every member, and a member of the list;
 * - no learner left (a join that never promoted its member);
 * - no alarm (NOSPACE, CORRUPT);
 * - each member's database under its quota (2 GiB unless etcd reports another), with a warning above 80 %.
 */
import { ETCD_DEFAULT_QUOTA_BYTES, peerUrlOf, type EtcdAlarmInfo, type EtcdEndpointInfo, type EtcdMemberInfo } from './gateway.js';

/** A warning when a member's database passes this share of its quota. */
export const DB_QUOTA_WARN_RATIO = 0.8;

export interface EtcdExpectedNode {
  readonly name: string;
  readonly address: string;
}

/** What one control-plane node's agent answered (EtcdStatus), or why it could not be asked. */
export interface EtcdNodeReport {
  readonly node: string;
  /** The agent could not be asked (not connected, task failed): nothing else is set. */
  readonly error?: string;
  readonly members?: readonly EtcdMemberInfo[];
  readonly membersError?: string;
  readonly endpoint?: EtcdEndpointInfo;
  readonly endpointError?: string;
  readonly alarms?: readonly EtcdAlarmInfo[];
  readonly alarmsError?: string;
}

export interface EtcdMemberRow {
  readonly name: string;
  readonly id: string;
  readonly peerUrl: string;
  readonly leader: boolean;
  readonly learner: boolean;
  readonly dbSize: number;
  readonly dbQuota: number;
  /** 'healthy', or why not. */
  readonly health: string;
  readonly alarms: readonly string[];
  /** The control-plane node whose agent answered for this member ('' when none did). */
  readonly node: string;
}

export interface EtcdAssessment {
  readonly problems: readonly string[];
  readonly warnings: readonly string[];
  readonly members: readonly EtcdMemberRow[];
  readonly quorum: boolean;
  readonly healthy: boolean;
  /** Hexadecimal id of the leader all answering members agree on. */
  readonly leaderId?: string;
}

export interface AssessOptions {
  /**
   * Peer URLs of members to leave out, as if already removed: remove-node asks whether the cluster that remains
   * without its target is healthy (a dead target is often why it is removed).
   */
  readonly excludePeerUrls?: readonly string[];
}

function gib(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${Math.round(bytes / 1024)} KiB`;
}

/** How a member is called in a message: its name and id, or that it never started. */
export function memberLabel(m: Pick<EtcdMemberInfo, 'name' | 'id' | 'peerUrls'>): string {
  return m.name ? `etcd member ${m.name} (${m.id})` : `etcd member ${m.id} (${m.peerUrls[0] ?? 'no peer URL'}, added but never started)`;
}

/** Why a node's etcd gave no status: the agent's error, or etcd's. */
function unreachable(r: EtcdNodeReport | undefined): string {
  if (!r) return 'not asked';
  return r.error ?? r.endpointError ?? 'no status';
}

export function assessEtcd(expected: readonly EtcdExpectedNode[], reports: readonly EtcdNodeReport[], options: AssessOptions = {}): EtcdAssessment {
  const problems: string[] = [];
  const warnings: string[] = [];
  const excluded = new Set(options.excludePeerUrls ?? []);
  const byNode = new Map(reports.map((r) => [r.node, r]));

  // The member list: the one most nodes read (they agree on a healthy cluster); disagreement is a problem itself.
  const lists = reports.filter((r) => r.members && !r.membersError);
  const key = (ms: readonly EtcdMemberInfo[]) =>
    ms
      .map((m) => m.id)
      .sort()
      .join(',');
  const counts = new Map<string, { members: readonly EtcdMemberInfo[]; nodes: string[] }>();
  for (const r of lists) {
    const k = key(r.members!);
    const entry = counts.get(k) ?? { members: r.members!, nodes: [] };
    entry.nodes.push(r.node);
    counts.set(k, entry);
  }
  const views = [...counts.values()].sort((a, b) => b.nodes.length - a.nodes.length);
  if (views.length > 1) {
    problems.push(
      `the control-plane nodes see different etcd member lists: ${views.map((v) => `${v.nodes.join(', ')}: ${v.members.map((m) => m.name || m.id).join(', ') || 'none'}`).join('; ')}`,
    );
  }
  const allMembers = views[0]?.members;
  const members = (allMembers ?? []).filter((m) => !m.peerUrls.some((u) => excluded.has(u)));
  const excludedIds = new Set((allMembers ?? []).filter((m) => m.peerUrls.some((u) => excluded.has(u))).map((m) => m.id));

  // Who answered for which member: a node's own endpoint status names its member id.
  const statusById = new Map<string, { node: string; endpoint: EtcdEndpointInfo }>();
  for (const r of reports) if (r.endpoint && !r.endpointError && !r.error) statusById.set(r.endpoint.memberId, { node: r.node, endpoint: r.endpoint });

  // Quorum: a majority of the voting members must answer. Without any member list, count the nodes that should be.
  const voting = allMembers ? members.filter((m) => !m.isLearner) : expected.map((n) => ({ id: '', name: n.name }));
  const answering = allMembers ? voting.filter((m) => statusById.has(m.id)).length : reports.filter((r) => r.endpoint && !r.endpointError && !r.error).length;
  const needed = Math.floor(voting.length / 2) + 1;
  const quorum = voting.length > 0 && answering >= needed;
  if (!quorum) {
    const why = expected
      .map((n) => byNode.get(n.name))
      .filter((r): r is EtcdNodeReport => Boolean(r) && !(r!.endpoint && !r!.endpointError && !r!.error))
      .map((r) => `${r.node}: ${unreachable(r)}`);
    problems.push(
      `etcd quorum lost: ${answering} of ${voting.length} voting member${voting.length === 1 ? '' : 's'} answer, ${needed} needed${why.length ? ` (${why.join('; ')})` : ''}`,
    );
  }
  if (!allMembers) {
    const why = reports.map((r) => `${r.node}: ${r.error ?? r.membersError ?? 'no member list'}`);
    problems.push(`no control-plane node could read the etcd member list${why.length ? ` (${why.join('; ')})` : ''}`);
  }

  // One to one: every expected node is exactly one member, by name and peer URL; every member is an expected node.
  const matched = new Set<string>();
  const nodeOfMember = new Map<string, string>();
  if (allMembers) {
    for (const node of expected) {
      const peerUrl = peerUrlOf(node.address);
      if (excluded.has(peerUrl)) continue;
      const byPeer = members.filter((m) => m.peerUrls.includes(peerUrl));
      const byName = members.filter((m) => m.name === node.name);
      const exact = byPeer.filter((m) => m.name === node.name);
      for (const m of [...byPeer, ...byName]) matched.add(m.id);
      if (exact.length === 1 && byPeer.length === 1 && byName.length === 1) {
        nodeOfMember.set(exact[0]!.id, node.name);
        continue;
      }
      if (byPeer.length === 0 && byName.length === 0) {
        problems.push(`${node.name}: no etcd member with its name and peer URL ${peerUrl}`);
        continue;
      }
      for (const m of byPeer) {
        nodeOfMember.set(m.id, node.name);
        if (m.name !== node.name) problems.push(`${node.name}: ${memberLabel(m)} has its peer URL ${peerUrl} but ${m.name ? `the name ${m.name}` : 'no name'}`);
      }
      for (const m of byName) {
        if (!m.peerUrls.includes(peerUrl)) problems.push(`${node.name}: ${memberLabel(m)} has peer URL ${m.peerUrls.join(', ') || 'none'}, not ${peerUrl}`);
      }
      if (byPeer.length > 1) problems.push(`${node.name}: ${byPeer.length} etcd members have its peer URL ${peerUrl}`);
    }
    for (const m of members) {
      if (!matched.has(m.id)) problems.push(`${memberLabel(m)} with peer URL ${m.peerUrls.join(', ') || 'none'} belongs to no control-plane node`);
    }
  }

  // Health: every member answers its own status without errors.
  for (const m of members) {
    const s = statusById.get(m.id);
    if (!s) {
      const node = nodeOfMember.get(m.id);
      problems.push(`${memberLabel(m)} is not answering${node ? ` (${node}: ${unreachable(byNode.get(node))})` : ''}`);
    } else if (s.endpoint.errors.length > 0) {
      problems.push(`${memberLabel(m)} reports errors: ${s.endpoint.errors.join('; ')}`);
    }
  }
  // A node whose etcd answered with a member id the list does not know (another cluster, a wiped member).
  for (const [id, s] of statusById) {
    if (allMembers && !allMembers.some((m) => m.id === id)) problems.push(`${s.node}: its etcd answers as member ${id}, which is not in the member list`);
  }

  // The leader: one, agreed by all, a member.
  const leaders = new Map<string, string[]>();
  for (const [id, s] of statusById) {
    if (excludedIds.has(id)) continue;
    const leader = s.endpoint.leaderId;
    if (leader === '0') {
      problems.push(`${s.node}: its etcd member knows no leader`);
      continue;
    }
    leaders.set(leader, [...(leaders.get(leader) ?? []), s.node]);
  }
  let leaderId: string | undefined;
  if (leaders.size > 1) {
    problems.push(`the etcd members disagree on the leader: ${[...leaders].map(([id, nodes]) => `${nodes.join(', ')} say ${id}`).join('; ')}`);
  } else if (leaders.size === 1) {
    leaderId = [...leaders.keys()][0]!;
    if (allMembers && !allMembers.some((m) => m.id === leaderId)) problems.push(`the etcd leader ${leaderId} is not in the member list`);
  } else if (quorum && statusById.size > 0) {
    problems.push('no etcd leader');
  }

  // Learners left behind by a join that never promoted its member.
  for (const m of members) if (m.isLearner) problems.push(`${memberLabel(m)} is still a learner (a join that did not finish promoting it)`);

  // Alarms, once each.
  const alarmSet = new Map<string, EtcdAlarmInfo>();
  for (const r of reports) for (const a of r.alarms ?? []) if (!excludedIds.has(a.memberId)) alarmSet.set(`${a.memberId}/${a.alarm}`, a);
  const alarmsOf = new Map<string, string[]>();
  for (const a of alarmSet.values()) {
    alarmsOf.set(a.memberId, [...(alarmsOf.get(a.memberId) ?? []), a.alarm]);
    const m = (allMembers ?? []).find((x) => x.id === a.memberId);
    problems.push(
      `etcd alarm ${a.alarm} on ${m ? memberLabel(m) : `etcd member ${a.memberId}`}${a.alarm === 'NOSPACE' ? ': the cluster refuses writes until it is compacted, defragmented and the alarm disarmed' : ''}`,
    );
  }
  if (alarmSet.size === 0 && reports.length > 0 && reports.every((r) => r.error || r.alarmsError)) {
    warnings.push(`no control-plane node could read the etcd alarms (${reports.map((r) => `${r.node}: ${r.error ?? r.alarmsError}`).join('; ')})`);
  }

  // Database size against the quota.
  for (const m of members) {
    const s = statusById.get(m.id);
    if (!s) continue;
    const quota = s.endpoint.dbSizeQuota || ETCD_DEFAULT_QUOTA_BYTES;
    const size = s.endpoint.dbSize;
    if (size >= quota) problems.push(`${memberLabel(m)}: database ${gib(size)} has reached its quota of ${gib(quota)}`);
    else if (size > quota * DB_QUOTA_WARN_RATIO) {
      warnings.push(`${memberLabel(m)}: database ${gib(size)} is ${Math.round((100 * size) / quota)} % of its ${gib(quota)} quota; compact and defragment it`);
    }
  }

  const rows: EtcdMemberRow[] = members.map((m) => {
    const s = statusById.get(m.id);
    const node = nodeOfMember.get(m.id) ?? s?.node ?? '';
    let health = 'healthy';
    if (!s) health = `not answering${node ? `: ${unreachable(byNode.get(node))}` : ''}`;
    else if (s.endpoint.errors.length) health = `errors: ${s.endpoint.errors.join('; ')}`;
    return {
      name: m.name,
      id: m.id,
      peerUrl: m.peerUrls[0] ?? '',
      leader: leaderId === m.id,
      learner: m.isLearner,
      dbSize: s?.endpoint.dbSize ?? 0,
      dbQuota: s ? s.endpoint.dbSizeQuota || ETCD_DEFAULT_QUOTA_BYTES : 0,
      health,
      alarms: alarmsOf.get(m.id) ?? [],
      node,
    };
  });
  return { problems, warnings, members: rows, quorum, healthy: problems.length === 0, ...(leaderId ? { leaderId } : {}) };
}

/**
 * The member a control-plane join must clean up first: one whose peer URL is the joining node's while the node is
 * not a joined member, left by a join killed between `etcdctl member add` and the member's start (kubeadm then fails
 * every later attempt at "etcd member already exists"). Undefined when there is none.
 */
export function danglingMember(members: readonly EtcdMemberInfo[], address: string): EtcdMemberInfo | undefined {
  const peerUrl = peerUrlOf(address);
  return members.find((m) => m.peerUrls.includes(peerUrl));
}

/** A node whose own etcd answered without errors: where a member removal or a snapshot is sent. */
export function healthyReporters(reports: readonly EtcdNodeReport[], exclude: readonly string[] = []): EtcdNodeReport[] {
  return reports.filter((r) => !exclude.includes(r.node) && !r.error && r.endpoint && !r.endpointError && r.endpoint.errors.length === 0 && !r.membersError);
}
