/**
 * The coordinators' leader lease, as pure decisions. Several coordinators share one cluster's state in NATS; one key
 * of the state bucket says which of them leads, and only that one runs operations, holds agent sessions and takes
 * mutating calls. The leader renews the key every `renewEveryMs` by compare-and-set on the revision it wrote last; a
 * standby that sees the revision unchanged for the holder's TTL takes the key, by compare-and-set on that revision, with
 * the next term.
 *
 * The TTL is in the record, not in the server: Debian's nats-server (2.9) has no per-message TTL (2.11 has). Every
 * reader measures it on its own monotonic clock from the moment it saw the revision change, so the wall clocks of
 * different machines are never compared; a standby that polls sees a change late, which only delays a takeover.
 *
 * Fencing: a leader stops acting `fenceAfterMs` after sending its last renewal that succeeded, half the TTL, while a
 * standby cannot take over before a full TTL after it saw that renewal (which it can only see after it was sent). The
 * other half is the margin for a write already on its way when the leader fences and for clocks that run at slightly
 * different rates. So two coordinators never act at once, even when the leader is cut off from NATS and cannot learn
 * that it lost.
 */

export interface LeaseRecord {
  /** The leading coordinator's advertised host:port: what agents and coordinatorctl are sent to. */
  readonly holder: string;
  /**
   * The holder's data dir identity (random, made once): the same address from another data dir (two coordinators
   * wrongly advertising one name) is not "my previous run".
   */
  readonly instance: string;
  /** Raised by one at every takeover: the fencing token phase records carry. */
  readonly term: number;
  /** The holder's TTL: how long a standby waits without seeing a renewal. */
  readonly ttlMs: number;
  /** A leader that stopped cleanly hands over at once. */
  readonly released: boolean;
  /** When the holder wrote it, by its own clock: shown, never compared. */
  readonly renewedAt: string;
}

export interface LeaseTimings {
  readonly ttlMs: number;
  readonly renewEveryMs: number;
  readonly fenceAfterMs: number;
  /** How often a standby reads the key. */
  readonly pollEveryMs: number;
}

export const DEFAULT_LEASE_TTL_MS = 10_000;
export const MIN_LEASE_TTL_MS = 2_000;
export const MAX_LEASE_TTL_MS = 300_000;

/** Renewals at a fifth of the TTL: two may fail before the leader fences at half of it. */
export function leaseTimings(ttlMs = DEFAULT_LEASE_TTL_MS): LeaseTimings {
  const ttl = Math.min(MAX_LEASE_TTL_MS, Math.max(MIN_LEASE_TTL_MS, Math.round(ttlMs)));
  return { ttlMs: ttl, renewEveryMs: Math.round(ttl / 5), fenceAfterMs: Math.round(ttl / 2), pollEveryMs: Math.max(100, Math.round(ttl / 10)) };
}

export type StandbyStep =
  | { readonly kind: 'acquire'; readonly term: number }
  | { readonly kind: 'wait'; readonly leader: string; readonly expiresInMs: number };

/**
 * What a coordinator that does not lead does now, from the record it read (undefined: none yet) and how long the
 * revision has been the same by its own clock. `self` is its data dir's instance id: a record it holds itself is from
 * its previous run (one process per data dir), so it takes it back at once; anyone else's waits for the TTL.
 */
export function standbyStep(record: LeaseRecord | undefined, unchangedForMs: number, self: string): StandbyStep {
  if (!record || record.released || record.instance === self) return { kind: 'acquire', term: (record?.term ?? 0) + 1 };
  const ttl = Math.min(MAX_LEASE_TTL_MS, Math.max(MIN_LEASE_TTL_MS, record.ttlMs));
  if (unchangedForMs >= ttl) return { kind: 'acquire', term: record.term + 1 };
  return { kind: 'wait', leader: record.holder, expiresInMs: ttl - unchangedForMs };
}

/** Whether a leader may still act, `sinceRenewalSentMs` after it sent its last renewal that succeeded. */
export function leaderMayAct(sinceRenewalSentMs: number, timings: LeaseTimings): boolean {
  return sinceRenewalSentMs < timings.fenceAfterMs;
}
