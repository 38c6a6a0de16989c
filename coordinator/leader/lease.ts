/**
 * The leader lease's loop (the decisions are core/leader-lease.ts): a standby reads the key every pollEveryMs and
 * takes it when it is free, released or unrenewed for the holder's TTL; the leader renews it every renewEveryMs by
 * compare-and-set on the revision it wrote, and fences itself (event `fenced`, isLeader() false) fenceAfterMs after
 * the last renewal that succeeded was sent, or at once when another coordinator wrote the key. A fenced leader goes
 * on as a standby. Who may cause what: any coordinator of the cluster (it has the coordinator's NATS user) may write
 * the key; nothing else does, and nothing outside the key is written here.
 */
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { KV, KvEntry } from '@nats-io/kv';
import { KubeadmHaError, NotLeaderError } from '../../core/errors.js';
import { leaderMayAct, leaseTimings, standbyStep, type LeaseRecord, type LeaseTimings } from '../../core/leader-lease.js';
import type { Logger } from '../../lib/log.js';
import { leaderKey } from '../state/keys.js';
import { leaseRecordSchema } from '../state/records.js';
import { isWrongLastSequence } from '../state/typed-kv.js';

export interface LeaderLeaseOptions {
  readonly kv: KV;
  readonly cluster: string;
  /** This coordinator's advertised host:port: where others send callers. */
  readonly self: string;
  /** Its data dir's identity (32 hex digits, made once): what "my own previous lease" means. */
  readonly instance: string;
  readonly ttlMs?: number;
  readonly logger: Logger;
  /** Monotonic milliseconds; tests move it by hand. */
  readonly now?: () => number;
}

export interface LeaderLeaseEvents {
  elected: [term: number];
  fenced: [reason: string];
}

const encoder = new TextEncoder();

export class LeaderLease extends EventEmitter<LeaderLeaseEvents> {
  readonly timings: LeaseTimings;
  private readonly key: string;
  private readonly log: Logger;
  private readonly now: () => number;
  private leading = false;
  private currentTerm = 0;
  /** The revision this coordinator wrote last, while it leads. */
  private revision = 0;
  /** When the last renewal that succeeded was sent (monotonic). */
  private renewalSentAt = 0;
  /** What a standby saw last: the revision, since when (monotonic), and the holder it names. */
  private seen: { revision: number; since: number; holder: string } | undefined;
  private fenceTimer: NodeJS.Timeout | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = false;
  private readonly firstReadDone: Promise<void>;
  private firstReadSettled: () => void = () => undefined;

  constructor(private readonly opts: LeaderLeaseOptions) {
    super();
    this.timings = leaseTimings(opts.ttlMs);
    this.key = leaderKey(opts.cluster);
    this.log = opts.logger.child({ component: 'leader-lease' });
    this.now = opts.now ?? (() => performance.now());
    this.firstReadDone = new Promise((resolve) => {
      this.firstReadSettled = resolve;
    });
  }

  /** Resolves after the first read of the lease (and its election, when it was free), whatever came of it. */
  firstRead(): Promise<void> {
    return this.firstReadDone;
  }

  start(): void {
    this.schedule(0);
  }

  /** Whether this coordinator may act now: it holds the lease and renewed it less than fenceAfterMs ago. */
  isLeader(): boolean {
    return this.leading && leaderMayAct(this.now() - this.renewalSentAt, this.timings);
  }

  term(): number {
    return this.currentTerm;
  }

  /** The leader's address as last seen ('' while unknown); this coordinator's own while it leads. */
  leader(): string {
    if (this.isLeader()) return this.opts.self;
    return this.seen && this.seen.holder !== this.opts.self ? this.seen.holder : '';
  }

  /** Throws NotLeaderError naming the leader unless this coordinator leads: the write guard and the RPC gate. */
  assertLeader(what = 'this call'): void {
    if (this.isLeader()) return;
    const leader = this.leader();
    throw new NotLeaderError(
      leader
        ? `this coordinator (${this.opts.self}) is a standby; ${what} goes to the leader at ${leader}`
        : `this coordinator (${this.opts.self}) is a standby and no coordinator leads right now; try again in a few seconds`,
      leader,
    );
  }

  /** Stops the loop; a leader releases the lease so that a standby takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.tickTimer);
    await this.ticking;
    if (!this.leading) return;
    const revision = this.revision;
    this.fence('the coordinator is stopping');
    await this.withTimeout(this.opts.kv.update(this.key, this.encode(true, this.currentTerm), revision), this.timings.renewEveryMs).then(
      () => this.log.info({ term: this.currentTerm }, 'leader lease released'),
      (err: unknown) => this.log.warn({ err: message(err) }, 'cannot release the leader lease; a standby takes over when it expires'),
    );
  }

  /** At a fixed rate from each tick's start: a slow answer does not push the next renewal later. */
  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.tickTimer = setTimeout(() => {
      const started = this.now();
      this.ticking = this.tick().finally(() => {
        this.ticking = undefined;
        this.firstReadSettled();
        const every = this.leading ? this.timings.renewEveryMs : this.timings.pollEveryMs;
        this.schedule(Math.max(0, every - (this.now() - started)));
      });
    }, delayMs);
  }

  /** Each call to NATS gets half a renewal interval: two may fail before the leader fences. */
  private get attemptTimeoutMs(): number {
    return Math.max(100, Math.round(this.timings.renewEveryMs / 2));
  }

  private async tick(): Promise<void> {
    try {
      if (this.leading) await this.renew();
      else await this.observe();
    } catch (err) {
      this.log.warn({ err: message(err), leading: this.leading }, 'cannot reach the leader lease in NATS');
    }
  }

  private async renew(): Promise<void> {
    const sentAt = this.now();
    try {
      this.revision = await this.withTimeout(this.opts.kv.update(this.key, this.encode(false, this.currentTerm), this.revision), this.attemptTimeoutMs);
    } catch (err) {
      if (isWrongLastSequence(err)) {
        // A renewal that timed out here may still have landed: then the key is ours at a revision we did not see.
        const entry = await this.withTimeout(this.opts.kv.get(this.key), this.attemptTimeoutMs).catch(() => undefined);
        const record = entry?.operation === 'PUT' ? this.decode(entry) : undefined;
        if (entry && record && record.instance === this.opts.instance && record.term === this.currentTerm && !record.released) {
          this.revision = entry.revision;
          return; // renewed, but from an earlier send: the fence deadline stays where it was
        }
        this.fence('another coordinator wrote the leader lease');
      }
      throw err;
    }
    if (!this.leading) return; // fenced while the write was on its way: the next term starts from observe()
    this.renewalSentAt = sentAt;
    this.armFence();
  }

  private async observe(): Promise<void> {
    const entry = await this.withTimeout(this.opts.kv.get(this.key), this.attemptTimeoutMs);
    const revision = entry?.revision ?? 0;
    const record = entry && entry.operation === 'PUT' ? this.decode(entry) : undefined;
    if (!this.seen || this.seen.revision !== revision) this.seen = { revision, since: this.now(), holder: record?.holder ?? '' };
    const step = standbyStep(record, this.now() - this.seen.since, this.opts.instance);
    if (step.kind === 'wait' || this.stopped) return;
    const sentAt = this.now();
    const data = this.encode(false, step.term);
    try {
      this.revision = await this.withTimeout(
        revision === 0 ? this.opts.kv.create(this.key, data) : this.opts.kv.update(this.key, data, revision),
        this.attemptTimeoutMs,
      );
    } catch (err) {
      if (isWrongLastSequence(err)) return; // another standby was first; the next read shows which
      throw err;
    }
    this.currentTerm = step.term;
    if (this.stopped) {
      // Stopped while the write was on its way: handed straight back rather than a term begun.
      await this.withTimeout(this.opts.kv.update(this.key, this.encode(true, step.term), this.revision), this.attemptTimeoutMs).catch(() => undefined);
      return;
    }
    this.leading = true;
    this.renewalSentAt = sentAt;
    this.seen = { revision: this.revision, since: sentAt, holder: this.opts.self };
    this.armFence();
    this.log.info({ term: step.term, previous: record?.holder ?? '', ttlMs: this.timings.ttlMs }, 'this coordinator leads');
    this.emit('elected', step.term);
  }

  private armFence(): void {
    clearTimeout(this.fenceTimer);
    const left = this.timings.fenceAfterMs - (this.now() - this.renewalSentAt);
    this.fenceTimer = setTimeout(() => this.fence(`the leader lease was not renewed for ${this.timings.fenceAfterMs} ms`), Math.max(0, left));
    this.fenceTimer.unref();
  }

  private fence(reason: string): void {
    clearTimeout(this.fenceTimer);
    if (!this.leading) return;
    this.leading = false;
    this.seen = undefined;
    this.log.warn({ term: this.currentTerm, reason }, 'this coordinator stops acting: it no longer leads');
    this.emit('fenced', reason);
  }

  private encode(released: boolean, term: number): Uint8Array {
    const record: LeaseRecord = {
      holder: this.opts.self,
      instance: this.opts.instance,
      term,
      ttlMs: this.timings.ttlMs,
      released,
      renewedAt: new Date().toISOString(),
    };
    return encoder.encode(JSON.stringify(leaseRecordSchema.parse(record)));
  }

  /** A record that does not parse counts as held by nobody known, and is taken once unchanged for a TTL. */
  private decode(entry: KvEntry): LeaseRecord | undefined {
    try {
      const parsed = leaseRecordSchema.safeParse(JSON.parse(new TextDecoder().decode(entry.value)));
      if (parsed.success) return parsed.data;
    } catch {
      // falls through
    }
    this.log.error({ revision: entry.revision }, 'the leader lease record is invalid; it is taken over once unchanged for a TTL');
    // Every term starts with a write, so no term so far is above this revision: the next one is still the highest.
    return { holder: '', instance: '', term: entry.revision, ttlMs: this.timings.ttlMs, released: false, renewedAt: new Date(0).toISOString() };
  }

  private withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new KubeadmHaError(`NATS did not answer within ${ms} ms`)), ms);
      }),
    ]).finally(() => clearTimeout(timer));
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
