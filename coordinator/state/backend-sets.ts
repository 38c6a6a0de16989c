/**
 * The `kha-lb` bucket: one key per cluster holding its encoded BackendSet, which every LB agent
 * watches. Versions must stay monotonic even with a standby coordinator writing to the same bucket,
 * so a publish is a compare-and-set on the KV revision of the version it follows.
 */
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { decodeBackendSet, emptyBackendSet, encodeBackendSet, nextBackendSet, type BackendSet } from '../../core/backend-set.js';
import { StateConflictError } from '../../core/errors.js';
import { LB_BUCKET, backendSetKey } from '../../lib/nats/names.js';
import type { UpdateOptions } from './typed-kv.js';

export interface StoredBackendSet {
  readonly set: BackendSet;
  /** KV revision of the stored set; 0 when nothing was ever published. */
  readonly revision: number;
}

export class BackendSetStore {
  constructor(
    private readonly kv: KV,
    /** Only the leading coordinator publishes (typed-kv.ts WriteGuard). */
    private readonly guard: () => void = () => undefined,
  ) {}

  /** The stored set, or the empty version-0 set when the cluster has none yet. */
  async get(cluster: string): Promise<StoredBackendSet> {
    const key = backendSetKey(cluster);
    const entry = await this.kv.get(key);
    if (entry?.operation !== 'PUT') return { set: emptyBackendSet(cluster), revision: entry?.revision ?? 0 };
    const set = decodeBackendSet(entry.value, `${LB_BUCKET} ${key} (revision ${entry.revision})`);
    if (set.cluster !== cluster) {
      throw new StateConflictError(`${LB_BUCKET} ${key}`, `holds the backend set of cluster "${set.cluster}"`);
    }
    return { set, revision: entry.revision };
  }

  async current(cluster: string): Promise<BackendSet> {
    return (await this.get(cluster)).set;
  }

  /**
   * Stores `next` if and only if it is exactly one version after the stored set and nobody stored
   * another set in between. Anything else is a StateConflictError; nothing is written.
   */
  async publish(next: BackendSet): Promise<number> {
    const key = backendSetKey(next.cluster);
    const data = encodeBackendSet(next);
    this.guard();
    const stored = await this.get(next.cluster);
    if (next.version !== stored.set.version + 1) {
      throw new StateConflictError(
        `${LB_BUCKET} ${key}`,
        `version ${next.version} does not follow the stored version ${stored.set.version}; only ${stored.set.version + 1} may be published`,
        stored.revision,
      );
    }
    this.guard();
    try {
      // Revision 0 means no key at all; a deleted key keeps its tombstone's revision and is updated over it.
      return stored.revision === 0 ? await this.kv.create(key, data) : await this.kv.update(key, data, stored.revision);
    } catch (err) {
      if (
        err instanceof JetStreamApiError &&
        (err.code === JetStreamApiCodes.StreamWrongLastSequence || err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
      ) {
        throw new StateConflictError(`${LB_BUCKET} ${key}`, `another writer published after version ${stored.set.version}`, stored.revision, { cause: err });
      }
      throw err;
    }
  }

  /**
   * Applies a pure transition (`(s) => addBackend(s, b)`) to the stored set and publishes the result,
   * re-reading and re-applying on a concurrent publish. A transition that changes nothing publishes nothing.
   * Only the resulting content counts, the backends and the load-balancer settings: composed transitions
   * (`withLoadBalancerConfig(removeBackend(addBackend(s, a), b), config)`) still publish exactly one version.
   */
  async update(cluster: string, transition: (current: BackendSet) => BackendSet, opts: UpdateOptions = {}): Promise<BackendSet> {
    const maxAttempts = opts.maxAttempts ?? 10;
    for (let attempt = 1; ; attempt++) {
      const current = await this.current(cluster);
      const next = nextBackendSet(current, transition(current));
      if (next === current) return current;
      try {
        await this.publish(next);
        return next;
      } catch (err) {
        if (!(err instanceof StateConflictError) || attempt >= maxAttempts) throw err;
      }
    }
  }
}
