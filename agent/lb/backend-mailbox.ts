/**
 * The one queue between the backend sets an agent receives and the haproxy it applies them to.
 *
 * - Latest wins: one set is delivered at a time; sets offered meanwhile replace each other, and only the newest is
 *   delivered next. Each set is the whole truth, so the ones in between never need to be applied.
 * - Nothing older than, or equal to, what was delivered or is queued is delivered again (core/backend-set.ts isNewer).
 *   An offer of the very version queued or being delivered joins it.
 * - A newer offer aborts the `superseded` signal of the delivery in progress, so that a delivery waiting (for servers
 *   to drain) can give way; one that does not wait simply finishes.
 * - One retry policy: a delivery that throws is tried again with jittered exponential backoff until it succeeds or a
 *   newer set replaces it. Its offer learns of the first failure; an offer of the same version during the wait joins the
 *   retry and starts it at once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isNewer, type BackendSet } from '../../core/backend-set.js';
import type { Logger } from '../../lib/log.js';

export interface Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
}

const DEFAULT_RETRY_BACKOFF: Backoff = { initialMs: 250, maxMs: 15_000 };

export interface BackendSetMailboxOptions<R> {
  /** Applies one set. `superseded` is aborted once a newer set is offered or the mailbox closes. */
  readonly deliver: (set: BackendSet, superseded: AbortSignal) => Promise<R> | R;
  /** The version applied before the mailbox started (haproxy.cfg says so), if any: nothing up to it is delivered. */
  readonly appliedVersion?: number;
  readonly backoff?: Backoff;
  readonly logger: Logger;
}

/** `stale`: not delivered, because a set at least as new was delivered or offered, or the mailbox closed. */
export type Offered<R> = R | 'stale';

export interface BackendSetMailbox<R> {
  /** Resolves with the delivery's result, or 'stale'; rejects with the delivery's first failure (it is retried). */
  offer(set: BackendSet): Promise<Offered<R>>;
  /** The version of the last set whose delivery finished. */
  lastDelivered(): number | undefined;
  /**
   * Forgets what was delivered and drops what is queued: the set was deleted at its source, and the next one published
   * may start again from version 1. A delivery in progress finishes.
   */
  forget(): void;
  /** Stops: nothing is delivered or retried afterwards. Resolves once the delivery in progress, if any, has finished. */
  close(): Promise<void>;
}

export function createBackendSetMailbox<R>(options: BackendSetMailboxOptions<R>): BackendSetMailbox<R> {
  const mailbox = new Mailbox(options);
  return {
    offer: (set) => mailbox.offer(set),
    lastDelivered: () => mailbox.delivered,
    forget: () => mailbox.forget(),
    close: () => mailbox.close(),
  };
}

interface Job<R> {
  readonly set: BackendSet;
  readonly waiters: { resolve: (outcome: Offered<R>) => void; reject: (err: unknown) => void }[];
  readonly superseded: AbortController;
  /** forget() came while it was being delivered: it is neither retried nor remembered as delivered. */
  forgotten: boolean;
}

class Mailbox<R> {
  delivered: number | undefined;
  /** Next to deliver: always newer than `current`. */
  private pending: Job<R> | undefined;
  private current: Job<R> | undefined;
  private driving = false;
  private drained: Promise<void> = Promise.resolve();
  private wake: AbortController | undefined;
  private closed = false;
  private readonly log: Logger;

  constructor(private readonly options: BackendSetMailboxOptions<R>) {
    this.delivered = options.appliedVersion;
    this.log = options.logger.child({ component: 'backend-mailbox' });
  }

  offer(set: BackendSet): Promise<Offered<R>> {
    if (this.closed) return Promise.resolve('stale');
    const same = [this.current, this.pending].find((job) => job?.set.version === set.version);
    if (same) {
      // A set waiting for its retry is tried again at once: someone asked for it again.
      if (same === this.pending) this.wake?.abort();
      return this.join(same);
    }
    const newest = this.pending ?? this.current;
    if (!isNewer(set, newest ? newest.set.version : this.delivered)) return Promise.resolve('stale');
    this.settle(this.pending, 'stale');
    this.current?.superseded.abort();
    const job = newJob<R>(set);
    this.pending = job;
    const outcome = this.join(job);
    this.wake?.abort();
    if (!this.driving) this.drained = this.drive();
    return outcome;
  }

  forget(): void {
    this.delivered = undefined;
    if (this.current) this.current.forgotten = true;
    this.settle(this.pending, 'stale');
    this.pending = undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.settle(this.pending, 'stale');
    this.pending = undefined;
    this.current?.superseded.abort();
    this.wake?.abort();
    await this.drained;
  }

  private join(job: Job<R>): Promise<Offered<R>> {
    return new Promise((resolve, reject) => job.waiters.push({ resolve, reject }));
  }

  private settle(job: Job<R> | undefined, outcome: Offered<R>): void {
    for (const w of job?.waiters.splice(0) ?? []) w.resolve(outcome);
  }

  private async drive(): Promise<void> {
    this.driving = true;
    try {
      let failedVersion: number | undefined;
      for (let failures = 0; this.pending && !this.closed; ) {
        const job = this.pending;
        this.pending = undefined;
        // The backoff belongs to one set: a newer one starts from the first step, whatever its predecessor went through.
        if (job.set.version !== failedVersion) failures = 0;
        this.current = job;
        let failure: { err: unknown } | undefined;
        try {
          const outcome = await this.options.deliver(job.set, job.superseded.signal);
          // After forget(), versions start over: this one must not hold back the ones published next.
          if (!job.forgotten) this.delivered = job.set.version;
          this.settle(job, outcome);
          failures = 0;
        } catch (err) {
          failure = { err };
        } finally {
          this.current = undefined;
        }
        if (!failure) continue;
        failures++;
        failedVersion = job.set.version;
        this.log.error({ err: errorMessage(failure.err), version: job.set.version, failures }, 'applying the backend set failed; retrying');
        for (const w of job.waiters.splice(0)) w.reject(failure.err);
        // A newer set that came meanwhile goes next, without waiting; else the same set again after the backoff.
        if (this.pending || this.closed || job.forgotten) continue;
        this.pending = newJob<R>(job.set);
        await this.pause(failures);
      }
      this.settle(this.pending, 'stale');
    } finally {
      // In the same step as the loop's last look at `pending`, so an offer never finds a loop that is about to end.
      this.driving = false;
    }
  }

  /** The backoff before a retry; an offer or close() cuts it short. */
  private async pause(failures: number): Promise<void> {
    if (this.closed) return;
    const { initialMs, maxMs } = this.options.backoff ?? DEFAULT_RETRY_BACKOFF;
    const ms = Math.min(maxMs, initialMs * 2 ** Math.min(failures - 1, 16));
    // Jitter: a fleet of agents that failed together should not retry together.
    const jittered = ms / 2 + Math.random() * (ms / 2);
    const wake = new AbortController();
    this.wake = wake;
    await sleep(jittered, undefined, { signal: wake.signal }).catch(() => undefined);
    if (this.wake === wake) this.wake = undefined;
  }
}

function newJob<R>(set: BackendSet): Job<R> {
  return { set, waiters: [], superseded: new AbortController(), forgotten: false };
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
