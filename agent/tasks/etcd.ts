/**
 * The etcd tasks, through etcd's JSON gateway on this node's ADDRESS:2379 (agent/etcd/gateway-client.ts).
 *
 * Who may cause them: the coordinator, over the session this agent opened to the CA it pinned; it sends them to
 * control-plane nodes only (verify, the health gates of deploy/add-node/remove-node, `coordinatorctl etcd`).
 * What they can reach: a TLS server on port 2379 of an IP address whose certificate chains to this host's etcd CA
 * (/etc/kubernetes/pki/etcd/ca.crt) and names that address, that is, one of the cluster's own etcd members, and
 * nothing else. The certificates are read through HostOps (under the agent's host root) and never leave the host.
 * - EtcdStatus: read-only, with the healthcheck-client certificate kubeadm makes for etcd's probe.
 * - EtcdSnapshot: reads every key (secrets included) with apiserver-etcd-client and streams them to the coordinator,
 *   which the agent already trusts with the cluster's admin credentials; writes nothing.
 * - EtcdRemoveMember: removes one member, only when its id and peer URL are the ones named, and never this node's own.
 * - EtcdMoveLeader: hands leadership from this node's member, when it leads, to a started voting member of the list.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { EtcdGatewayError, ETCD_CLIENT_PORT, memberIdFromHex, memberIdToHex } from '../../core/etcd/gateway.js';
import { clip } from '../../core/clip.js';
import { PreconditionError } from '../../core/errors.js';
import {
  APISERVER_ETCD_CLIENT_CERT_PATH,
  APISERVER_ETCD_CLIENT_KEY_PATH,
  ETCD_CA_CERT_PATH,
  ETCD_HEALTHCHECK_CLIENT_CERT_PATH,
  ETCD_HEALTHCHECK_CLIENT_KEY_PATH,
} from '../../core/host/paths.js';
import { TASK_DATA_CHUNK_BYTES } from '../../lib/grpc/limits.js';
import type { TaskResultInput } from '../../proto/index.js';
import { EtcdGatewayClient, type EtcdClientCredentials } from '../etcd/gateway-client.js';
import type { HostOps } from '../hostops.js';

export type EtcdIdentity = 'healthcheck' | 'apiserver';

/** Overridable in tests: the port etcd's client URL listens on. */
export interface EtcdTaskOptions {
  readonly port?: number;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

function checkAddress(address: string): void {
  if (isIP(address) === 0) throw new PreconditionError(`etcd address ${JSON.stringify(clip(address, 64))} is not an IP address`);
}

/** The etcd CA and one of kubeadm's etcd client certificates, from under the host root. */
export async function etcdCredentials(host: HostOps, identity: EtcdIdentity): Promise<EtcdClientCredentials> {
  const [certPath, keyPath] =
    identity === 'healthcheck'
      ? [ETCD_HEALTHCHECK_CLIENT_CERT_PATH, ETCD_HEALTHCHECK_CLIENT_KEY_PATH]
      : [APISERVER_ETCD_CLIENT_CERT_PATH, APISERVER_ETCD_CLIENT_KEY_PATH];
  const [ca, cert, key] = await Promise.all([host.readFile(ETCD_CA_CERT_PATH), host.readFile(certPath), host.readFile(keyPath)]);
  const missing = [ca === undefined ? ETCD_CA_CERT_PATH : '', cert === undefined ? certPath : '', key === undefined ? keyPath : ''].filter(Boolean);
  if (missing.length > 0) {
    throw new PreconditionError(`no stacked etcd client credentials on this host: ${missing.join(', ')} missing (not a joined control-plane node?)`);
  }
  return { ca: ca!, cert: cert!, key: key! };
}

async function client(host: HostOps, address: string, identity: EtcdIdentity, options: EtcdTaskOptions): Promise<EtcdGatewayClient> {
  checkAddress(address);
  return new EtcdGatewayClient(address, options.port ?? ETCD_CLIENT_PORT, await etcdCredentials(host, identity), {
    timeoutMs: options.timeoutMs ?? 5_000,
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

const why = (err: unknown) => clip(err instanceof Error ? err.message : String(err), 300);

/**
 * The member list, this node's endpoint status and the alarms. A local etcd that is down is an answer: each part
 * that failed carries its error, and the task succeeds. Only a bad address fails it.
 */
export async function etcdStatus(host: HostOps, address: string, options: EtcdTaskOptions = {}): Promise<TaskResultInput['etcdStatus']> {
  let etcd: EtcdGatewayClient;
  try {
    etcd = await client(host, address, 'healthcheck', options);
  } catch (err) {
    if (isIP(address) === 0) throw err;
    const e = why(err);
    return { members: [], membersError: e, endpointError: e, alarms: [], alarmsError: e };
  }
  const [members, endpoint, alarms] = await Promise.allSettled([etcd.memberList(), etcd.status(), etcd.alarms()]);
  return {
    members:
      members.status === 'fulfilled'
        ? members.value.map((m) => ({ id: m.id, name: m.name, peerUrls: [...m.peerUrls], clientUrls: [...m.clientUrls], isLearner: m.isLearner }))
        : [],
    membersError: members.status === 'rejected' ? why(members.reason) : '',
    ...(endpoint.status === 'fulfilled' ? { endpoint: { ...endpoint.value, errors: [...endpoint.value.errors] } } : {}),
    endpointError: endpoint.status === 'rejected' ? why(endpoint.reason) : '',
    alarms: alarms.status === 'fulfilled' ? alarms.value.map((a) => ({ ...a })) : [],
    alarmsError: alarms.status === 'rejected' ? why(alarms.reason) : '',
  };
}

/**
 * A snapshot of the local member, streamed through `send` in chunks of TASK_DATA_CHUNK_BYTES (awaited: the session's
 * flow control paces etcd). The revision is the one the member reported right before; the sha256 covers every byte sent.
 */
export async function etcdSnapshot(
  host: HostOps,
  address: string,
  send: (chunk: Buffer) => Promise<void>,
  progress: (line: string) => void,
  options: EtcdTaskOptions = {},
): Promise<TaskResultInput['etcdSnapshot']> {
  const etcd = await client(host, address, 'apiserver', options);
  const status = await etcd.status();
  const members = await etcd.memberList();
  const self = members.find((m) => m.id === status.memberId);
  progress(`snapshot of etcd member ${self?.name || status.memberId} at revision ${status.revision} (database ${status.dbSize} bytes)`);
  const hash = createHash('sha256');
  let buffered: Buffer[] = [];
  let bufferedBytes = 0;
  const flush = async () => {
    if (bufferedBytes === 0) return;
    const chunk = Buffer.concat(buffered, bufferedBytes);
    buffered = [];
    bufferedBytes = 0;
    await send(chunk);
  };
  const size = await etcd.snapshot(async (bytes) => {
    hash.update(bytes);
    for (let offset = 0; offset < bytes.length; ) {
      const take = Math.min(bytes.length - offset, TASK_DATA_CHUNK_BYTES - bufferedBytes);
      buffered.push(bytes.subarray(offset, offset + take));
      bufferedBytes += take;
      offset += take;
      if (bufferedBytes === TASK_DATA_CHUNK_BYTES) await flush();
    }
  });
  await flush();
  return { size, sha256: hash.digest('hex'), revision: status.revision, memberId: status.memberId, memberName: self?.name ?? '' };
}

/**
 * Removes the member `memberIdHex` if, and only if, it is in the list with exactly `peerUrl` and is not the member
 * this node's etcd answers as. A member already gone is reported, not an error: the removal may be a retry.
 */
export async function etcdRemoveMember(
  host: HostOps,
  input: { address: string; memberId: string; peerUrl: string },
  progress: (line: string) => void,
  options: EtcdTaskOptions = {},
): Promise<TaskResultInput['etcdRemoveMember']> {
  const decimal = memberIdFromHex(input.memberId);
  if (!decimal) throw new PreconditionError(`etcd member id ${JSON.stringify(clip(input.memberId, 40))} is not a hexadecimal member id`);
  if (!/^https:\/\/(\[[0-9a-fA-F:.]+\]|[0-9.]+):\d{1,5}$/.test(input.peerUrl)) {
    throw new PreconditionError(`peer URL ${JSON.stringify(clip(input.peerUrl, 80))} is not https://ADDRESS:PORT`);
  }
  const etcd = await client(host, input.address, 'apiserver', options);
  const self = await etcd.status();
  const members = await etcd.memberList();
  const target = members.find((m) => m.id === input.memberId);
  if (!target) return { removed: false, detail: `no etcd member ${input.memberId} (already gone)` };
  if (!target.peerUrls.includes(input.peerUrl)) {
    throw new PreconditionError(
      `etcd member ${input.memberId} has peer URL ${target.peerUrls.join(', ') || 'none'}, not ${input.peerUrl}: refusing to remove it`,
    );
  }
  if (target.id === self.memberId) throw new PreconditionError(`etcd member ${input.memberId} is this node's own member: refusing to remove it from here`);
  progress(`removing etcd member ${target.name || '(never started)'} ${input.memberId} (${input.peerUrl})`);
  try {
    await etcd.memberRemove(decimal);
  } catch (err) {
    // "member not found" on a retry whose first attempt went through.
    if (err instanceof EtcdGatewayError && /member not found/i.test(err.message))
      return { removed: false, detail: `no etcd member ${input.memberId} (already gone)` };
    throw err;
  }
  return { removed: true, detail: `removed etcd member ${target.name || '(never started)'} ${memberIdToHex(decimal)} (${input.peerUrl})` };
}

/**
 * Moves leadership from this node's member to `targetMemberId` when this member leads; otherwise says who does. The
 * target must be in the list, started and voting, and not this member.
 */
export async function etcdMoveLeader(
  host: HostOps,
  input: { address: string; targetMemberId: string },
  progress: (line: string) => void,
  options: EtcdTaskOptions = {},
): Promise<TaskResultInput['etcdMoveLeader']> {
  const decimal = memberIdFromHex(input.targetMemberId);
  if (!decimal) throw new PreconditionError(`etcd member id ${JSON.stringify(clip(input.targetMemberId, 40))} is not a hexadecimal member id`);
  const etcd = await client(host, input.address, 'apiserver', options);
  const self = await etcd.status();
  if (self.leaderId !== self.memberId) {
    return { moved: false, detail: `etcd member ${self.memberId} does not lead (the leader is ${self.leaderId})`, leaderId: self.leaderId };
  }
  const target = (await etcd.memberList()).find((m) => m.id === input.targetMemberId);
  if (!target) throw new PreconditionError(`etcd member ${input.targetMemberId} is not in the member list: cannot hand leadership to it`);
  if (target.id === self.memberId) throw new PreconditionError(`etcd member ${input.targetMemberId} is this node's own member, the leader already`);
  if (target.isLearner || !target.name) {
    throw new PreconditionError(`etcd member ${input.targetMemberId} is ${target.isLearner ? 'a learner' : 'not started'}: it cannot lead`);
  }
  progress(`handing etcd leadership from ${self.memberId} to ${target.name} (${target.id})`);
  await etcd.moveLeader(decimal);
  const after = await etcd.status();
  return { moved: after.leaderId !== self.memberId, detail: `moved etcd leadership from ${self.memberId} to ${after.leaderId}`, leaderId: after.leaderId };
}
