/**
 * Typed, validated access to JSON records in a KV bucket, with compare-and-set on the KV revision:
 * two coordinators (or two tasks of one) never silently overwrite each other. Every write either
 * states the revision it read, or goes through `update`, which re-reads and retries on conflict.
 */
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { KV, KvEntry } from '@nats-io/kv';
import { StateConflictError, StateCorruptError } from '../../core/errors.js';

export interface Versioned<T> {
  readonly value: T;
  /** The KV revision (stream sequence) of this value; pass it back to write only if nobody wrote since. */
  readonly revision: number;
}

export interface RecordCodec<T> {
  /** Validates and turns a value into what is stored as JSON. Throws on an invalid value. */
  toJson(value: T): unknown;
  /** Validates stored JSON. Throws on anything that does not fit. */
  fromJson(json: unknown, key: string): T;
}

export interface PutOptions {
  /** 0: the record must not exist. A revision: the record must still be at it. Absent: unconditional. */
  readonly expectedRevision?: number;
}

/** Returned by an update function to leave the record as it is (no write, no revision bump). */
export const UNCHANGED: unique symbol = Symbol('unchanged');
/** Returned by an update function to delete the record. */
export const DELETE: unique symbol = Symbol('delete');
export type UpdateResult<T> = T | typeof UNCHANGED | typeof DELETE;

export interface UpdateOptions {
  /** Conflicts tolerated before giving up; each attempt re-reads. */
  readonly maxAttempts?: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Called before every write: throws (NotLeaderError) when this coordinator may not write now. Coordinator HA: only
 * the leader writes the cluster's state, and a leader that could not renew its lease stops writing before a standby
 * can take over (core/leader-lease.ts).
 */
export type WriteGuard = () => void;

export class TypedKv {
  constructor(
    readonly kv: KV,
    private readonly bucket: string,
    private readonly guard: WriteGuard = () => undefined,
  ) {}

  /** The current value and revision, or undefined when absent or deleted. */
  async get<T>(key: string, codec: RecordCodec<T>): Promise<Versioned<T> | undefined> {
    const entry = await this.kv.get(key);
    if (!entry || isTombstone(entry)) return undefined;
    return { value: this.decode(entry, key, codec), revision: entry.revision };
  }

  async put<T>(key: string, value: T, codec: RecordCodec<T>, opts: PutOptions = {}): Promise<number> {
    this.guard();
    const data = encoder.encode(JSON.stringify(codec.toJson(value)));
    try {
      if (opts.expectedRevision === 0) return await this.kv.create(key, data);
      if (opts.expectedRevision !== undefined) return await this.kv.update(key, data, opts.expectedRevision);
      return await this.kv.put(key, data);
    } catch (err) {
      throw this.conflictOr(err, key, opts.expectedRevision);
    }
  }

  async delete(key: string, opts: PutOptions = {}): Promise<void> {
    this.guard();
    try {
      await this.kv.delete(key, opts.expectedRevision !== undefined ? { previousSeq: opts.expectedRevision } : undefined);
    } catch (err) {
      throw this.conflictOr(err, key, opts.expectedRevision);
    }
  }

  /**
   * Read-modify-write: `fn` sees the current value (undefined when absent) and returns the new one,
   * UNCHANGED or DELETE. On a concurrent write the whole cycle runs again with the fresh value, so `fn`
   * must be a pure function of what it is given. Returns the record as stored afterwards.
   */
  async update<T>(
    key: string,
    codec: RecordCodec<T>,
    fn: (current: T | undefined) => UpdateResult<T>,
    opts: UpdateOptions = {},
  ): Promise<Versioned<T> | undefined> {
    const maxAttempts = opts.maxAttempts ?? 10;
    for (let attempt = 1; ; attempt++) {
      const entry = await this.kv.get(key);
      const live = entry && !isTombstone(entry) ? entry : undefined;
      const current = live ? { value: this.decode(live, key, codec), revision: live.revision } : undefined;
      const next = fn(current?.value);
      try {
        if (next === UNCHANGED) return current;
        if (next === DELETE) {
          if (current) await this.delete(key, { expectedRevision: current.revision });
          return undefined;
        }
        // A tombstone still has a revision; writing over it must expect exactly that one.
        const revision = await this.put(key, next, codec, { expectedRevision: entry ? entry.revision : 0 });
        return { value: next, revision };
      } catch (err) {
        if (!(err instanceof StateConflictError) || attempt >= maxAttempts) throw err;
      }
    }
  }

  /** Keys matching a filter such as `clusters.prod.nodes.*`, live ones only, sorted. */
  async keys(filter: string): Promise<string[]> {
    const found: string[] = [];
    for await (const k of await this.kv.keys(filter)) found.push(k);
    return found.sort();
  }

  private decode<T>(entry: KvEntry, key: string, codec: RecordCodec<T>): T {
    let json: unknown;
    try {
      json = JSON.parse(decoder.decode(entry.value));
    } catch (err) {
      throw new StateCorruptError(`${this.bucket} ${key} (revision ${entry.revision}) is not JSON: ${(err as Error).message}`);
    }
    try {
      return codec.fromJson(json, key);
    } catch (err) {
      throw new StateCorruptError(`${this.bucket} ${key} (revision ${entry.revision}) is invalid: ${(err as Error).message}`, {}, { cause: err });
    }
  }

  private conflictOr(err: unknown, key: string, expectedRevision: number | undefined): unknown {
    if (isWrongLastSequence(err)) {
      const what = expectedRevision === 0 ? 'already exists' : `changed since revision ${expectedRevision ?? '?'}`;
      return new StateConflictError(`${this.bucket} ${key}`, what, expectedRevision, { cause: err });
    }
    return err;
  }
}

function isTombstone(entry: KvEntry): boolean {
  return entry.operation === 'DEL' || entry.operation === 'PURGE';
}

/** A compare-and-set that lost: the key changed since the revision it stated. */
export function isWrongLastSequence(err: unknown): boolean {
  if (err instanceof JetStreamApiError) {
    return err.code === JetStreamApiCodes.StreamWrongLastSequence || err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown;
  }
  return err instanceof Error && /wrong last sequence/i.test(err.message);
}
