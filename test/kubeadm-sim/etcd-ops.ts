/**
 * What kubeadm does to a stacked etcd cluster when KUBEADM_SIM_ETCD=real (phases/etcd/local.go, util/etcd/etcd.go,
 * phases/reset/removeetcdmember.go, v1.31): health checks, member add (as a learner from v1.29), promotion, the wait
 * for the cluster, and the removal of a resetting node's member — through the etcd v3 API with the node's
 * apiserver-etcd-client certificate.
 */
import { readHostFile, sleep } from './env.js';
import { EtcdClient, EtcdError, endpointStatus, hexId, type EtcdMember, type EtcdTls } from './etcd-client.js';
import type { EtcdMemberState, StateStore } from './state.js';

/** The TLS material kube-apiserver (and kubeadm) use against etcd, from the host's certificate dir. */
export function etcdClientTls(root: string, certDir: string): EtcdTls {
  const read = (f: string): string => {
    const v = readHostFile(root, `${certDir}/${f}`);
    if (v === null) throw new Error(`open ${certDir}/${f}: no such file or directory`);
    return v;
  };
  return { caPem: read('etcd/ca.crt'), certPem: read('apiserver-etcd-client.crt'), keyPem: read('apiserver-etcd-client.key') };
}

export const clientURL = (address: string): string => `https://${address.includes(':') ? `[${address}]` : address}:2379`;
export const peerURL = (address: string): string => `https://${address.includes(':') ? `[${address}]` : address}:2380`;

/** Retries `fn` every `intervalMs` while `retry(error)` holds, until `timeoutMs`; then throws the last error. */
export async function retrying<T>(fn: () => Promise<T>, retry: (e: unknown) => boolean, timeoutMs: number, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (!retry(e) || Date.now() + intervalMs > deadline) throw e;
      await sleep(intervalMs);
    }
  }
}

const transport = (e: unknown): boolean => e instanceof EtcdError && !e.answered;
/**
 * Answers that pass with time: etcd refuses a reconfiguration until the leader has been connected to every voting
 * member for 5 s (`unhealthy cluster`, right after a promotion), or while it elects a leader.
 */
const transient = (e: unknown): boolean =>
  transport(e) || /unhealthy cluster|not enough started members|request timed out|leader changed|no leader|too many requests/i.test(errorText(e));
export const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** etcdctl endpoint health: a linearizable read answered by `endpoint` (needs a leader and quorum). */
export async function endpointHealthy(endpoint: string, tls: EtcdTls, timeoutMs = 2000): Promise<void> {
  await new EtcdClient([endpoint], tls, timeoutMs).range('health');
}

/** Polls one endpoint until it is healthy; returns the elapsed ms or throws the last error. */
export async function waitEndpointHealthy(endpoint: string, tls: EtcdTls, timeoutMs: number): Promise<number> {
  const start = Date.now();
  await retrying(
    () => endpointHealthy(endpoint, tls),
    () => true,
    timeoutMs,
    200,
  );
  return Date.now() - start;
}

/** getClusterStatus: every endpoint answers a status request. */
export async function checkClusterStatus(endpoints: string[], tls: EtcdTls): Promise<void> {
  for (const ep of endpoints) await endpointStatus(ep, tls, 2000);
}

/** The state's record of the members, from etcd's member list (names of unstarted members are their hex ID). */
export function membersToState(members: EtcdMember[]): EtcdMemberState[] {
  return members.map((m) => ({
    id: hexId(m.id),
    name: m.name || hexId(m.id),
    peerURL: m.peerURLs[0] ?? '',
    clientURL: m.clientURLs[0] ?? m.peerURLs[0]?.replace(/:2380$/, ':2379') ?? '',
    ...(m.isLearner ? { isLearner: true } : {}),
  }));
}

export async function recordMembers(store: StateStore, members: EtcdMember[]): Promise<void> {
  await store.update((s) => (s ? { next: { ...s, etcdMembers: membersToState(members) }, result: undefined } : { result: undefined }));
}

export interface JoinEtcdResult {
  /** `name=peerURL` for --initial-cluster, the new member last as kubeadm lists it. */
  initialCluster: string[];
  memberId: string;
  client: EtcdClient;
}

/**
 * AddMember / AddMemberAsLearner: transport failures and transient refusals are retried (clientv3 balances and
 * kubeadm polls); a lasting answer such as `etcdserver: Peer URLs already exists` fails the join at once (kubeadm
 * would repeat it until its EtcdAPICall timeout, 2 min, and then fail with the same text).
 */
export async function addMember(
  endpoints: string[],
  tls: EtcdTls,
  nodeName: string,
  address: string,
  asLearner: boolean,
  timeoutMs: number,
): Promise<JoinEtcdResult> {
  const client = new EtcdClient(endpoints, tls);
  const peer = peerURL(address);
  const { added, members } = await retrying(() => client.memberAdd(peer, asLearner), transient, timeoutMs);
  const initialCluster = members.map((m) => {
    if (m.peerURLs[0] === peer) return `${nodeName}=${peer}`;
    return `${m.name || hexId(m.id)}=${m.peerURLs[0] ?? ''}`;
  });
  return { initialCluster, memberId: added.id, client: new EtcdClient([...endpoints, clientURL(address)], tls) };
}

/** MemberPromote: retried while etcd says the learner is not in sync yet (or is unreachable), until the timeout. */
export async function promoteLearner(client: EtcdClient, id: string, timeoutMs: number): Promise<void> {
  await retrying(
    async () => {
      const me = (await client.memberList()).find((m) => m.id === id);
      if (me && !me.isLearner) return; // already promoted
      await client.memberPromote(id);
    },
    (e) => transient(e) || /in sync with leader|not started/i.test(errorText(e)),
    timeoutMs,
    500,
  );
}

/** WaitForClusterAvailable: every member answers its status. */
export async function waitClusterAvailable(client: EtcdClient, tls: EtcdTls, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const members = await client.memberList();
      await checkClusterStatus(members.map((m) => m.clientURLs[0] ?? '').filter(Boolean), tls);
      if (members.every((m) => m.clientURLs.length > 0)) return;
    } catch {
      // retried below
    }
    if (Date.now() > deadline) throw new Error('timeout waiting for etcd cluster to be available');
    await sleep(250);
  }
}

export type RemoveOutcome = { removed: true; members: EtcdMember[] } | { removed: false; reason: 'last-member' | 'not-a-member'; members: EtcdMember[] };

/** RemoveStackedEtcdMemberFromCluster: the node's member goes, unless it is the last one. */
export async function removeOwnMember(endpoints: string[], tls: EtcdTls, address: string): Promise<RemoveOutcome> {
  const client = new EtcdClient(endpoints, tls, 3000);
  const members = await client.memberList();
  if (members.length === 1 && members[0]?.clientURLs.includes(clientURL(address))) return { removed: false, reason: 'last-member', members };
  const me = members.find((m) => m.peerURLs[0] === peerURL(address));
  if (!me) return { removed: false, reason: 'not-a-member', members };
  const left = await retrying(() => client.memberRemove(me.id), transient, 10_000);
  return { removed: true, members: left };
}
