/**
 * What the coordinator keeps in the `kha-state` bucket, one zod schema per record kind, checked on
 * every read and every write. Records are loose objects (unknown fields survive a read-modify-write)
 * so that a standby coordinator one version behind does not strip what a newer one wrote; token
 * records are the exception: strict, so that nothing secret-looking can ever be persisted by accident.
 */
import { z } from 'zod';

const label = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS-1123 label')
  .max(63);
const isoTime = z.iso.datetime({ offset: true });
const role = z.enum(['control-plane', 'worker']);

export const nodeRecordSchema = z.looseObject({
  name: label,
  role,
  joined: z.boolean(),
  joinedAt: isoTime.optional(),
  address: z.string().optional(),
});
export type NodeRecord = z.infer<typeof nodeRecordSchema>;

export const phaseRecordSchema = z.looseObject({
  phase: z.string().min(1),
  status: z.enum(['running', 'done', 'failed']),
  attempts: z.number().int().nonnegative(),
  startedAt: isoTime.optional(),
  finishedAt: isoTime.optional(),
  /** The failure, already free of secrets (errors never carry them). */
  error: z.string().optional(),
  /** Which coordinator ran it last (its advertised address), for an operator reading a standby's takeover. */
  owner: z.string().optional(),
  /** The leader lease's term it ran in (core/leader-lease.ts): a takeover raises it. */
  term: z.number().int().nonnegative().optional(),
  /** How it ended: done, unchanged (found everything in place), skipped (nothing to do) or failed. */
  outcome: z.enum(['running', 'done', 'unchanged', 'skipped', 'failed']).optional(),
  /** What status prints beside it: the title while running, the result or the failure after. */
  message: z.string().optional(),
});
export type PhaseRecord = z.infer<typeof phaseRecordSchema>;

/**
 * The cluster-changing operation that holds the turn (one at a time, admin/operations.ts), written before any of its
 * phases runs and kept after it ended: a coordinator that restarts finds one still `running` and runs it again from
 * here alone, and a second command that asks for the same attaches to it instead of starting another. It is its own
 * record, not the action's phase record (`deploy: running`), because that one names no node (add-node and remove-node
 * are keyed by one), is written only once the engine starts, is cleared by reset-forget, and reset keeps none at all.
 */
export const operationRecordSchema = z.looseObject({
  kind: z.enum(['deploy', 'add-node', 'remove-node', 'reset', 'etcd-restore', 'certs-renew', 'upgrade']),
  /** The node of add-node and remove-node; the cluster name for deploy and reset; the snapshot's path for etcd-restore; the node (or `all`) for certs-renew; the target version for upgrade. */
  key: z.string().min(1),
  status: z.enum(['running', 'succeeded', 'failed']),
  startedAt: isoTime,
  finishedAt: isoTime.optional(),
  /** How many times a restarted coordinator picked it up again. */
  resumed: z.number().int().nonnegative().optional(),
  error: z.string().optional(),
  /** add-node: the spec it was started with (user-facing shape, as the stored spec), which is all it needs to run again. */
  spec: z.record(z.string(), z.unknown()).optional(),
  /** add-node started by auto-join or `nodes approve`: a join that fails takes the node back out of the spec. */
  autoJoin: z.boolean().optional(),
  /** Started with --force (the etcd health gates warn instead of refusing): a resume keeps it. */
  force: z.boolean().optional(),
  /** etcd-restore: its new cluster token and the snapshot's sha256, so that a resume restores the same file under the same token. */
  restore: z.strictObject({ restoreId: z.string().regex(/^[a-z0-9-]{1,63}$/), sha256: z.string().regex(/^[0-9a-f]{64}$/) }).optional(),
  /** certs-renew: each target node's apiserver certificate serial before the renewal (another one means renewed). */
  certsBaseline: z.record(z.string(), z.string().max(128)).optional(),
  /** Started by the coordinator itself (certs-renew under spec.certificates.renewBefore), not by an operator. */
  automatic: z.boolean().optional(),
  /**
   * Each coordinator that ran it, in order: the first start, then each resume (a restart, or a standby's takeover),
   * with the lease term it acted in. The last OPERATION_RUNS.
   */
  runs: z.array(z.strictObject({ coordinator: z.string().max(300), term: z.number().int().nonnegative(), at: isoTime })).optional(),
  /** The operations that ended before this one, newest first, at most OPERATION_HISTORY: what `status` shows. */
  history: z
    .array(
      z.strictObject({
        kind: z.string().max(20),
        key: z.string().max(300),
        status: z.enum(['succeeded', 'failed']),
        startedAt: isoTime,
        finishedAt: isoTime,
        error: z.string().max(300).optional(),
        automatic: z.boolean().optional(),
      }),
    )
    .max(20)
    .optional(),
});
export const OPERATION_HISTORY = 20;
export type OperationRecord = z.infer<typeof operationRecordSchema>;

/** A bootstrap token as the coordinator remembers it: never the secret, only its hash. */
export const tokenRecordSchema = z.strictObject({
  /** The public half of `abcdef.0123456789abcdef`. */
  id: z.string().regex(/^[a-z0-9]{6}$/, 'must be the 6-character token id'),
  /** sha256 (lowercase hex) of the secret half; compared in constant time at registration. */
  secretSha256: z.string().regex(/^[a-f0-9]{64}$/, 'must be 64 lowercase hex digits'),
  expiresAt: isoTime,
  createdAt: isoTime,
  /** How many agents registered with it. */
  uses: z.number().int().nonnegative(),
  /** When the last use was taken: a used-up record is kept a little while for a refund. */
  lastUsedAt: isoTime.optional(),
  /** null only in records written before tokens were bounded: such a token is treated as single-use. */
  maxUses: z.number().int().positive().nullable(),
  /** The role the token admits, authoritatively; null only in old records, read as worker (never raised). */
  roleHint: role.nullable(),
  /** Set by `token create --node-name`: only this name may register with it, and it may replace that registration. */
  nodeName: label.optional(),
  description: z.string().max(200).optional(),
});
export type TokenRecord = z.infer<typeof tokenRecordSchema>;

/**
 * A revoked agent (remove-node, reset, `nodes forget`): until a token created after `revokedAt` registers the name
 * again, Register refuses it and auto-join leaves it alone.
 */
export const tombstoneRecordSchema = z.looseObject({
  name: label,
  revokedAt: isoTime,
  /** remove-node, reset or forget: for an operator reading why a host is refused. */
  reason: z.string().max(200),
});
export type TombstoneRecord = z.infer<typeof tombstoneRecordSchema>;

/**
 * Which agent holds a NATS user key, by key: one key, one agent. Registering checks it in one read instead of scanning
 * every agent, so a registration costs the same with a thousand agents as with ten.
 */
export const agentKeyRecordSchema = z.looseObject({ name: label });
export type AgentKeyRecord = z.infer<typeof agentKeyRecordSchema>;

export const agentRecordSchema = z.looseObject({
  name: label,
  /** Serial of the client certificate the coordinator's CA issued (hex). */
  certSerial: z.string().regex(/^[0-9a-f]+$/i, 'must be hex'),
  /** sha256 of the certificate DER, lowercase hex: how a revoked certificate is recognized. */
  certSha256: z
    .string()
    .regex(/^[a-f0-9]{64}$/)
    .optional(),
  /** The certificate a renewal replaced, accepted until the renewed one first opens a Session (grpc/registry.ts). */
  previousCertSha256: z
    .string()
    .regex(/^[a-f0-9]{64}$/)
    .optional(),
  nkeyPublicKey: z.string().regex(/^U[A-Z2-7]{55}$/, 'must be an nkey user public key'),
  roleHint: role.nullable().optional(),
  registeredAt: isoTime,
  /** The host facts reported at registration (agent/facts.ts shape); not interpreted here. */
  facts: z.record(z.string(), z.unknown()),
  /** RFC 3339: when the agent's client certificate expires. */
  certNotAfter: z.string().optional(),
  agentVersion: z.string().optional(),
  /** The id of the bootstrap token it registered with. */
  tokenId: z.string().optional(),
});
export type AgentRecord = z.infer<typeof agentRecordSchema>;

/** How many runs an operation record keeps. */
export const OPERATION_RUNS = 20;

/**
 * The leader lease (core/leader-lease.ts LeaseRecord), bounded: every coordinator of the cluster reads it. The holder
 * is shown and sent as a hint, which agents and coordinatorctl dial only when it is host:port.
 */
export const leaseRecordSchema = z.strictObject({
  holder: z.string().max(300),
  instance: z.string().regex(/^[0-9a-f]{32}$/),
  term: z.number().int().positive(),
  ttlMs: z.number().int().positive(),
  released: z.boolean(),
  renewedAt: isoTime,
});

/** User key → the unix second it was revoked at (nats/auth.ts Revocations), bounded. */
export const natsRevocationsSchema = z.record(z.string().regex(/^U[A-Z2-7]{55}$/), z.number().int().nonnegative());
