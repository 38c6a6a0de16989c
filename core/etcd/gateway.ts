/**
 * etcd's v3 JSON gateway (grpc-gateway in front of the etcdserverpb services), parsed and checked here, purely. The
 * agent does the HTTPS (agent/etcd/gateway-client.ts); whatever it reads comes through these schemas before anything
 * uses it, because it comes from the network.
 *
 * What the gateway does to the protobuf messages, and so what these schemas accept:
 * - 64-bit integers (member ids, raft term/index, db sizes, revisions) are JSON strings of decimal digits; a number
 *   is accepted too, when it is a safe integer;
 * - zero, false, empty and absent are the same thing: it omits default values (a member that never started has no
 *   `name`, a voting member has no `isLearner`, a member that knows no leader has no `leader`);
 * - field names are the .proto names as written there: `ID`, `peerURLs`, `isLearner`, `dbSize`, `raftIndex`, but
 *   `cluster_id`, `member_id` in the header and `remaining_bytes` in a snapshot chunk;
 * - a streamed response (the snapshot) is one JSON object per chunk, `{"result": …}` or `{"error": …}`.
 */
import { z } from 'zod';
import { clip } from '../clip.js';
import { KubeadmHaError } from '../errors.js';

/** etcd's client port and peer port, as kubeadm configures them. */
export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;

/** The default backend quota (--quota-backend-bytes unset): 2 GiB. kubeadm does not change it. */
export const ETCD_DEFAULT_QUOTA_BYTES = 2 * 1024 * 1024 * 1024;

/** The largest JSON answer read for member list, status, alarms or member remove: ~300 B per member. */
export const MAX_GATEWAY_RESPONSE_BYTES = 1024 * 1024;
/** One line of the snapshot stream: etcd sends 32 KiB blobs (~44 KiB in base64); any line above this is refused. */
export const MAX_SNAPSHOT_LINE_BYTES = 8 * 1024 * 1024;
/** The largest snapshot taken: etcd's recommended maximum quota is 8 GiB; a database can exceed its quota a little. */
export const MAX_SNAPSHOT_BYTES = 10 * 1024 * 1024 * 1024;

/** The gateway said something these schemas do not accept (another etcd version, a truncated answer, not etcd). */
export class EtcdGatewayError extends KubeadmHaError {}

const uint64 = z.union([
  z.string().regex(/^\d{1,20}$/, 'must be an unsigned 64-bit integer'),
  z
    .number()
    .int()
    .nonnegative()
    .refine((n) => Number.isSafeInteger(n), 'is too large for a JSON number')
    .transform((n) => String(n)),
]);
const optUint64 = uint64.optional().transform((v) => v ?? '0');
const url = z.string().max(512);

const headerSchema = z
  .object({
    cluster_id: optUint64,
    member_id: optUint64,
    revision: optUint64,
    raft_term: optUint64,
  })
  .partial()
  .optional();

const memberSchema = z.object({
  ID: optUint64,
  name: z.string().max(256).optional().default(''),
  peerURLs: z.array(url).max(16).optional().default([]),
  clientURLs: z.array(url).max(16).optional().default([]),
  isLearner: z.boolean().optional().default(false),
});

const memberListSchema = z.object({
  header: headerSchema,
  members: z.array(memberSchema).max(256).optional().default([]),
});

const statusSchema = z.object({
  header: headerSchema,
  version: z.string().max(64).optional().default(''),
  dbSize: optUint64,
  leader: optUint64,
  raftIndex: optUint64,
  raftTerm: optUint64,
  raftAppliedIndex: optUint64,
  errors: z.array(z.string().max(1024)).max(64).optional().default([]),
  dbSizeInUse: optUint64,
  isLearner: z.boolean().optional().default(false),
  dbSizeQuota: optUint64,
});

const alarmSchema = z.object({
  header: headerSchema,
  alarms: z
    .array(z.object({ memberID: optUint64, alarm: z.string().max(32).optional().default('NONE') }))
    .max(1024)
    .optional()
    .default([]),
});

const memberRemoveSchema = z.object({
  header: headerSchema,
  members: z.array(memberSchema).max(256).optional().default([]),
});

const snapshotLineSchema = z.union([
  z.object({
    result: z.object({
      header: headerSchema,
      remaining_bytes: optUint64,
      // base64; the gateway omits it on a chunk without bytes.
      blob: z
        .string()
        .max(MAX_SNAPSHOT_LINE_BYTES)
        .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64')
        .optional()
        .default(''),
    }),
  }),
  z.object({ error: z.object({ code: z.number().optional(), message: z.string().optional(), grpc_code: z.number().optional() }).loose() }),
]);

/** The gateway's error body for a failed unary call: `{"error": "...", "code": 9, "message": "..."}`. */
const errorBodySchema = z.object({ error: z.string().optional(), message: z.string().optional(), code: z.number().optional() }).loose();

export interface EtcdMemberInfo {
  /** Hexadecimal, as etcdctl prints member ids. */
  readonly id: string;
  /** Empty for a member added and never started. */
  readonly name: string;
  readonly peerUrls: readonly string[];
  readonly clientUrls: readonly string[];
  readonly isLearner: boolean;
}

export interface EtcdEndpointInfo {
  readonly memberId: string;
  /** '0' when the member knows no leader. */
  readonly leaderId: string;
  readonly raftTerm: number;
  readonly raftIndex: number;
  readonly dbSize: number;
  readonly dbSizeInUse: number;
  readonly version: string;
  readonly errors: readonly string[];
  /** 0 when etcd does not report it (before 3.6). */
  readonly dbSizeQuota: number;
  readonly isLearner: boolean;
  readonly revision: number;
}

export interface EtcdAlarmInfo {
  readonly memberId: string;
  readonly alarm: string;
}

/** A uint64 in decimal (as the gateway sends it) in hexadecimal (as etcdctl prints it); '0' stays '0'. */
export function memberIdToHex(decimal: string): string {
  return BigInt(decimal).toString(16);
}

/** A member id as an operator or the coordinator writes it (hexadecimal), in decimal for the gateway; undefined when it is not one. */
export function memberIdFromHex(hex: string): string | undefined {
  if (!/^[0-9a-f]{1,16}$/i.test(hex)) return undefined;
  const value = BigInt(`0x${hex}`);
  return value === 0n ? undefined : value.toString(10);
}

/** A number from a uint64 string: exact up to 2^53, which covers every size, term and index a real member reaches. */
function num(decimal: string): number {
  return Number(decimal);
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new EtcdGatewayError(`${what}: the answer is not JSON: ${JSON.stringify(clip(text, 120))}`);
  }
}

function check<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : '(top level)';
    throw new EtcdGatewayError(`${what}: unexpected answer from etcd: ${where} ${clip(issue?.message ?? 'is invalid', 120)}`);
  }
  return parsed.data;
}

function member(m: z.output<typeof memberSchema>): EtcdMemberInfo {
  return { id: memberIdToHex(m.ID), name: m.name, peerUrls: m.peerURLs, clientUrls: m.clientURLs, isLearner: m.isLearner };
}

/** POST /v3/cluster/member/list */
export function parseMemberList(text: string): EtcdMemberInfo[] {
  const what = 'etcd member list';
  return check(memberListSchema, parseJson(text, what), what).members.map(member);
}

/** POST /v3/maintenance/status */
export function parseEndpointStatus(text: string): EtcdEndpointInfo {
  const what = 'etcd endpoint status';
  const s = check(statusSchema, parseJson(text, what), what);
  return {
    memberId: memberIdToHex(s.header?.member_id ?? '0'),
    leaderId: memberIdToHex(s.leader),
    raftTerm: num(s.raftTerm),
    raftIndex: num(s.raftIndex),
    dbSize: num(s.dbSize),
    dbSizeInUse: num(s.dbSizeInUse),
    version: s.version,
    errors: s.errors.map((e) => clip(e, 200)),
    dbSizeQuota: num(s.dbSizeQuota),
    isLearner: s.isLearner,
    revision: num(s.header?.revision ?? '0'),
  };
}

/** POST /v3/maintenance/alarm with {"action":"GET"}: only real alarms (NONE is etcd's zero value). */
export function parseAlarms(text: string): EtcdAlarmInfo[] {
  const what = 'etcd alarm list';
  return check(alarmSchema, parseJson(text, what), what)
    .alarms.filter((a) => a.alarm !== 'NONE')
    .map((a) => ({ memberId: memberIdToHex(a.memberID), alarm: clip(a.alarm, 32) }));
}

/** POST /v3/cluster/member/remove: the members left. */
export function parseMemberRemove(text: string): EtcdMemberInfo[] {
  const what = 'etcd member remove';
  return check(memberRemoveSchema, parseJson(text, what), what).members.map(member);
}

/** The error a non-2xx gateway answer carries, in one clipped line. */
export function gatewayErrorMessage(status: number, text: string): string {
  let detail = text.trim();
  try {
    const body = errorBodySchema.safeParse(JSON.parse(text));
    if (body.success) detail = body.data.message ?? body.data.error ?? detail;
  } catch {
    // not JSON: the raw text, clipped
  }
  return `HTTP ${status}${detail ? `: ${clip(detail.replace(/\s+/g, ' '), 200)}` : ''}`;
}

export interface SnapshotChunk {
  readonly bytes: Buffer;
  readonly remainingBytes: number;
}

/** One line of POST /v3/maintenance/snapshot: the bytes it carries, or the error etcd sent instead. */
export function parseSnapshotLine(line: string): SnapshotChunk {
  const what = 'etcd snapshot stream';
  if (line.length > MAX_SNAPSHOT_LINE_BYTES)
    throw new EtcdGatewayError(`${what}: a line of ${line.length} bytes is over the ${MAX_SNAPSHOT_LINE_BYTES}-byte bound`);
  const parsed = check(snapshotLineSchema, parseJson(line, what), what);
  if ('error' in parsed) throw new EtcdGatewayError(`${what}: etcd failed the snapshot: ${clip(parsed.error.message ?? JSON.stringify(parsed.error), 200)}`);
  return { bytes: Buffer.from(parsed.result.blob, 'base64'), remainingBytes: num(parsed.result.remaining_bytes) };
}

/** https://ADDRESS:PORT, with brackets for IPv6, as kubeadm writes the advertise URLs. */
export function etcdUrl(address: string, port: number): string {
  return `https://${address.includes(':') ? `[${address}]` : address}:${port}`;
}

/** The peer URL kubeadm gives a stacked member on `address`: https://ADDRESS:2380. */
export function peerUrlOf(address: string): string {
  return etcdUrl(address, ETCD_PEER_PORT);
}
