/**
 * A minimal etcd v3 client over etcd's JSON gRPC gateway (`POST https://host:2379/v3/...`), authenticated with a
 * client certificate and verified against the etcd CA: what the simulated kubeadm and the stand-in apiserver use
 * against the real etcd members the kubelet stand-in runs (KUBEADM_SIM_ETCD=real). No etcdctl, no dependency.
 *
 * The gateway renders uint64 fields (member IDs, revisions) as JSON strings and bytes (keys, values) as base64.
 */
import { request } from 'node:https';

export interface EtcdTls {
  caPem: string;
  certPem: string;
  keyPem: string;
}

export interface EtcdMember {
  /** Decimal, as the gateway renders uint64. */
  id: string;
  /** Empty until the member has started and published its name. */
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}

export interface EtcdStatus {
  memberId: string;
  leader: string;
  raftIndex: string;
  raftTerm: string;
  isLearner: boolean;
  errors: string[];
}

export interface KeyValue {
  key: string;
  value: string;
  modRevision: string;
}

/** An error etcd answered (its gRPC message, e.g. `etcdserver: Peer URLs already exists`), or a transport failure. */
export class EtcdError extends Error {
  constructor(
    message: string,
    /** true when etcd answered; false for refused connections, TLS failures and timeouts. */
    readonly answered: boolean,
  ) {
    super(message);
    this.name = 'EtcdError';
  }
}

const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64');
const unb64 = (s: string | undefined): string => (s ? Buffer.from(s, 'base64').toString() : '');

/** The decimal member ID as kubeadm prints it (lower-case hex). */
export const hexId = (id: string): string => BigInt(id).toString(16);

/** One call to one endpoint (`https://ip:2379`). */
export function etcdCall<T>(endpoint: string, path: string, body: unknown, tls: EtcdTls, timeoutMs = 5000): Promise<T> {
  const url = new URL(path, endpoint);
  const payload = JSON.stringify(body ?? {});
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: Number(url.port || 2379),
        path: url.pathname,
        method: 'POST',
        ca: tls.caPem,
        cert: tls.certPem,
        key: tls.keyPem,
        agent: false,
        timeout: timeoutMs,
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => {
          let parsed: Record<string, unknown> = {};
          try {
            parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
          } catch {
            reject(new EtcdError(`${endpoint}: unparseable answer (HTTP ${res.statusCode}): ${text.slice(0, 200)}`, true));
            return;
          }
          if ((res.statusCode ?? 500) >= 400 || typeof parsed.error === 'string') {
            reject(new EtcdError(String(parsed.message ?? parsed.error ?? `HTTP ${res.statusCode}`), true));
            return;
          }
          resolve(parsed as T);
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('context deadline exceeded')));
    req.on('error', (e: NodeJS.ErrnoException) => {
      const why = e.code === 'ECONNREFUSED' ? `dial tcp ${url.host}: connect: connection refused` : e.message;
      reject(new EtcdError(why, false));
    });
    req.end(payload);
  });
}

interface RawMember {
  ID?: string;
  name?: string;
  peerURLs?: string[];
  clientURLs?: string[];
  isLearner?: boolean;
}

const member = (m: RawMember): EtcdMember => ({
  id: m.ID ?? '0',
  name: m.name ?? '',
  peerURLs: m.peerURLs ?? [],
  clientURLs: m.clientURLs ?? [],
  isLearner: m.isLearner === true,
});

/**
 * A client over several endpoints: each call tries them in order until one answers, as clientv3's balancer does.
 * An answer from etcd (an error included) ends the attempt; only transport failures move on.
 */
export class EtcdClient {
  constructor(
    readonly endpoints: string[],
    private readonly tls: EtcdTls,
    private readonly timeoutMs = 5000,
  ) {}

  async call<T>(path: string, body: unknown): Promise<T> {
    let last: EtcdError = new EtcdError('no etcd endpoints', false);
    for (const ep of this.endpoints) {
      try {
        return await etcdCall<T>(ep, path, body, this.tls, this.timeoutMs);
      } catch (e) {
        if (e instanceof EtcdError && e.answered) throw e;
        last = e instanceof EtcdError ? e : new EtcdError(String(e), false);
      }
    }
    throw last;
  }

  async memberList(): Promise<EtcdMember[]> {
    const r = await this.call<{ members?: RawMember[] }>('/v3/cluster/member/list', {});
    return (r.members ?? []).map(member);
  }

  /** Adds a member; returns it and the updated list. */
  async memberAdd(peerURL: string, isLearner: boolean): Promise<{ added: EtcdMember; members: EtcdMember[] }> {
    const r = await this.call<{ member?: RawMember; members?: RawMember[] }>('/v3/cluster/member/add', { peerURLs: [peerURL], isLearner });
    return { added: member(r.member ?? {}), members: (r.members ?? []).map(member) };
  }

  async memberPromote(id: string): Promise<void> {
    await this.call('/v3/cluster/member/promote', { ID: id });
  }

  async memberRemove(id: string): Promise<EtcdMember[]> {
    const r = await this.call<{ members?: RawMember[] }>('/v3/cluster/member/remove', { ID: id });
    return (r.members ?? []).map(member);
  }

  async put(key: string, value: string): Promise<void> {
    await this.call('/v3/kv/put', { key: b64(key), value: b64(value) });
  }

  /** A range over `prefix` (or one key); linearizable unless `serializable`. */
  async range(key: string, opts: { prefix?: boolean; serializable?: boolean; limit?: number } = {}): Promise<KeyValue[]> {
    return (await this.rangeWithRevision(key, opts)).kvs;
  }

  /** range, with the store's current revision from the response header. */
  async rangeWithRevision(
    key: string,
    opts: { prefix?: boolean; serializable?: boolean; limit?: number } = {},
  ): Promise<{ kvs: KeyValue[]; revision: bigint }> {
    const body: Record<string, unknown> = { key: b64(key) };
    if (opts.prefix) body.range_end = b64(prefixEnd(key));
    if (opts.serializable) body.serializable = true;
    if (opts.limit) body.limit = String(opts.limit);
    const r = await this.call<{ header?: { revision?: string }; kvs?: { key?: string; value?: string; mod_revision?: string }[] }>('/v3/kv/range', body);
    return {
      kvs: (r.kvs ?? []).map((kv) => ({ key: unb64(kv.key), value: unb64(kv.value), modRevision: kv.mod_revision ?? '0' })),
      revision: BigInt(r.header?.revision ?? '0'),
    };
  }

  async deleteRange(key: string, opts: { prefix?: boolean } = {}): Promise<number> {
    const body: Record<string, unknown> = { key: b64(key) };
    if (opts.prefix) body.range_end = b64(prefixEnd(key));
    const r = await this.call<{ deleted?: string }>('/v3/kv/deleterange', body);
    return Number(r.deleted ?? 0);
  }
}

/** The status of one endpoint (not balanced: the caller names the member it asks). */
export async function endpointStatus(endpoint: string, tls: EtcdTls, timeoutMs = 5000): Promise<EtcdStatus> {
  const r = await etcdCall<{ header?: { member_id?: string }; leader?: string; raftIndex?: string; raftTerm?: string; isLearner?: boolean; errors?: string[] }>(
    endpoint,
    '/v3/maintenance/status',
    {},
    tls,
    timeoutMs,
  );
  return {
    memberId: r.header?.member_id ?? '0',
    leader: r.leader ?? '0',
    raftIndex: r.raftIndex ?? '0',
    raftTerm: r.raftTerm ?? '0',
    isLearner: r.isLearner === true,
    errors: r.errors ?? [],
  };
}

/** clientv3.GetPrefixRangeEnd: the key with its last byte below 0xff incremented. */
export function prefixEnd(prefix: string): Buffer {
  const b = Buffer.from(prefix);
  for (let i = b.length - 1; i >= 0; i--) {
    if ((b[i] ?? 0) < 0xff) {
      const end = Buffer.from(b.subarray(0, i + 1));
      end[i] = (end[i] ?? 0) + 1;
      return end;
    }
  }
  return Buffer.from([0]);
}
