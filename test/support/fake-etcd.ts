/**
 * etcd as the fake hosts of coordinator unit tests report it (EtcdStatus results): a member list, each node's own
 * endpoint status and alarms, built from a small model. The real gateway is exercised against a real etcd in
 * agent/etcd/gateway-client.test.ts; this only feeds the coordinator's phases the answers an agent would send.
 */
import { peerUrlOf } from '../../core/etcd/gateway.js';
import type { TaskResultOutput } from '../../proto/index.js';

export interface FakeMember {
  readonly name: string;
  readonly address: string;
  /** Hexadecimal member id. */
  readonly id: string;
  /** Added but never started: no name in the list, no status. */
  readonly unstarted?: boolean;
  readonly learner?: boolean;
  /** Its etcd does not answer. */
  readonly down?: boolean;
  readonly dbSize?: number;
}

export function fakeMember(name: string, address: string, index: number, extra: Partial<FakeMember> = {}): FakeMember {
  return { name, address, id: (0x1000 + index).toString(16), ...extra };
}

/** What `node`'s agent answers, given the cluster's members; a node that is not an answering member reports why. */
export function fakeEtcdStatus(
  members: readonly FakeMember[],
  node: string,
  alarms: readonly { memberId: string; alarm: string }[] = [],
  /** The member that leads after a MoveLeader; default (or when it is no longer up): the first up voting member. */
  leaderId?: string,
): TaskResultOutput['etcdStatus'] {
  const self = members.find((m) => m.name === node && !m.unstarted);
  if (!self || self.down) {
    const error = `https://${self?.address ?? '127.0.0.1'}:2379/v3/maintenance/status: ECONNREFUSED: connect ECONNREFUSED`;
    return { members: [], membersError: error, endpoint: null, endpointError: error, alarms: [], alarmsError: error };
  }
  const voting = members.filter((m) => !m.learner);
  const up = voting.filter((m) => !m.down && !m.unstarted);
  const leader = up.length > voting.length / 2 ? (up.find((m) => m.id === leaderId) ?? up[0]!).id : '0';
  return {
    members: members.map((m) => ({
      id: m.id,
      name: m.unstarted ? '' : m.name,
      peerUrls: [peerUrlOf(m.address)],
      clientUrls: m.unstarted ? [] : [`https://${m.address}:2379`],
      isLearner: m.learner === true,
    })),
    membersError: '',
    endpoint: {
      memberId: self.id,
      leaderId: leader,
      raftTerm: 2,
      raftIndex: 100,
      dbSize: self.dbSize ?? 4 * 1024 * 1024,
      dbSizeInUse: self.dbSize ?? 4 * 1024 * 1024,
      version: '3.5.16',
      errors: [],
      dbSizeQuota: 0,
      isLearner: self.learner === true,
      revision: 42,
    },
    endpointError: '',
    alarms: alarms.map((a) => ({ ...a })),
    alarmsError: '',
  };
}
