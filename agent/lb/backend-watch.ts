/**
 * The LB agent's view of its cluster's backend set: a KV watch on one key of `kha-lb`, over a NATS
 * connection made with the agent's own nkey (which may read that key and nothing else).
 *
 * - On every (re)connect the watch is created afresh, and a KV watch starts with the key's latest
 *   value, so an agent that was away gets the current set at once instead of a replay.
 * - Every valid set of the agent's cluster is handed to `onSet` as it is read, the same version possibly more than
 *   once (a new watch, the periodic direct read): ordering, skipping and retrying are the mailbox's
 *   (backend-mailbox.ts), which `onSet` feeds.
 * - The connection is retried forever with backoff; nothing here gives up while the agent runs.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Kvm, type KV, type KvWatchEntry } from '@nats-io/kv';
import { decodeBackendSet, type BackendSet } from '../../core/backend-set.js';
import { KubeadmHaError } from '../../core/errors.js';
import { dns1123LabelProblem } from '../../core/validate.js';
import type { Logger } from '../../lib/log.js';
import { connectNats, type NatsConnection } from '../../lib/nats/connect.js';
import { nkeyCredentials, nkeyPublicKeyOf, type NatsClientTls } from '../../lib/nats/credentials.js';
import { LB_BUCKET, agentInboxPrefix, backendSetKey } from '../../lib/nats/names.js';

export interface BackendWatchOptions {
  readonly url: string;
  /** The agent's nkey user seed, as received at registration. */
  readonly nkeySeed: Uint8Array | string;
  readonly cluster: string;
  /** Receives each set read; returns at once (it queues the set, see backend-mailbox.ts). */
  readonly onSet: (set: BackendSet) => void;
  /**
   * The key was deleted (only the coordinator can): the applied set stays, but whatever version is published next
   * is to be taken, as it may restart from 1.
   */
  readonly onDeleted?: () => void;
  readonly logger: Logger;
  readonly tls?: NatsClientTls;
  /** Connection name shown by the server, e.g. the node name. */
  readonly name?: string;
  /** Between attempts to connect and to watch. */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  readonly reconnectTimeWaitMs?: number;
  /** A direct read of the key on this period, in case a watch delivery was lost without a sign. */
  readonly resyncIntervalMs?: number;
}

export interface BackendWatch {
  /** Resolves once the connection is closed; `onSet` is not called afterwards. */
  close(): Promise<void>;
}

export function watchBackendSet(opts: BackendWatchOptions): BackendWatch {
  const problem = dns1123LabelProblem(opts.cluster);
  if (problem) throw new KubeadmHaError(`backend watch: cluster name: ${problem}`);
  const watcher = new BackendWatcher(opts);
  watcher.start();
  return { close: () => watcher.close() };
}

class BackendWatcher {
  private readonly stop = new AbortController();
  private readonly log: Logger;
  private readonly key: string;
  private readonly publicKey: string;
  private nc: NatsConnection | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly opts: BackendWatchOptions) {
    this.log = opts.logger.child({ component: 'backend-watch', cluster: opts.cluster });
    this.key = backendSetKey(opts.cluster);
    this.publicKey = nkeyPublicKeyOf(opts.nkeySeed);
  }

  start(): void {
    this.running = this.connectLoop();
  }

  async close(): Promise<void> {
    if (this.stop.signal.aborted) return this.running;
    this.stop.abort();
    await this.nc?.close().catch(() => undefined);
    await this.running;
  }

  private get closed(): boolean {
    return this.stop.signal.aborted;
  }

  private async connectLoop(): Promise<void> {
    for (let failures = 0; !this.closed; ) {
      try {
        const nc = await connectNats(
          { url: this.opts.url, credentials: nkeyCredentials(this.opts.nkeySeed), ...(this.opts.tls ? { tls: this.opts.tls } : {}) },
          {
            name: `kubeadm-ha-agent ${this.opts.name ?? this.publicKey.slice(0, 12)} backend-watch`,
            logger: this.log,
            inboxPrefix: agentInboxPrefix(this.publicKey),
            reconnectTimeWaitMs: this.opts.reconnectTimeWaitMs,
          },
        );
        this.nc = nc;
        if (this.closed) {
          await nc.close();
          break;
        }
        const sessionStart = Date.now();
        await this.session(nc);
        // It closed for good (credentials refused on reconnect): dial again, backing off if that keeps happening.
        failures = Date.now() - sessionStart > 30_000 ? 1 : failures + 1;
      } catch (err) {
        if (this.closed) break;
        failures++;
        this.log.warn({ err: (err as Error).message, failures }, 'cannot reach NATS for the backend set; retrying');
      } finally {
        if (this.nc && !this.nc.isClosed()) await this.nc.close().catch(() => undefined);
      }
      await this.pause(failures);
    }
  }

  /** One connection's lifetime: (re)create the watch on every reconnect, until the connection closes. */
  private async session(nc: NatsConnection): Promise<void> {
    const kv = await new Kvm(nc).open(LB_BUCKET, { allow_direct: true });
    let generation = 0;
    const stopWatches = new Set<() => void>();
    const restart = () => {
      const mine = ++generation;
      for (const stopWatch of stopWatches) stopWatch();
      stopWatches.clear();
      void this.watchLoop(kv, stopWatches, () => mine !== generation || this.closed || nc.isClosed());
    };
    restart();
    const statuses = (async () => {
      for await (const s of nc.status()) {
        // The server may have lost the consumer (restart) and the deliveries made while we were
        // away are gone (core NATS): a fresh watch starts from the key's latest value.
        if (s.type === 'reconnect') restart();
      }
    })();
    const resync = this.resyncLoop(kv, nc);
    try {
      const closedErr = await nc.closed();
      if (closedErr && !this.closed) this.log.warn({ err: closedErr.message }, 'NATS connection closed');
    } finally {
      generation++;
      for (const stopWatch of stopWatches) stopWatch();
      await statuses.catch(() => undefined);
      await resync;
    }
  }

  private async watchLoop(kv: KV, stopWatches: Set<() => void>, superseded: () => boolean): Promise<void> {
    for (let failures = 0; !superseded(); ) {
      try {
        const iter = await kv.watch({ key: this.key });
        const stopWatch = () => iter.stop();
        stopWatches.add(stopWatch);
        try {
          if (superseded()) return;
          failures = 0;
          for await (const entry of iter) {
            if (superseded()) return;
            this.onEntry(entry);
          }
        } finally {
          stopWatches.delete(stopWatch);
          iter.stop();
        }
        if (superseded()) return;
        failures = 1;
        this.log.warn('backend set watch ended; starting a new one');
      } catch (err) {
        if (superseded()) return;
        failures++;
        this.log.warn({ err: (err as Error).message, failures }, 'cannot watch the backend set; retrying');
      }
      await this.pause(failures);
    }
  }

  private async resyncLoop(kv: KV, nc: NatsConnection): Promise<void> {
    const period = this.opts.resyncIntervalMs ?? 60_000;
    while (!this.closed && !nc.isClosed()) {
      try {
        await sleep(period, undefined, { signal: this.stop.signal });
      } catch {
        return;
      }
      if (nc.isClosed()) return;
      try {
        const entry = await kv.get(this.key);
        if (entry && entry.operation === 'PUT') this.hand(this.decode(entry.value, entry.revision));
      } catch (err) {
        this.log.debug({ err: (err as Error).message }, 'backend set resync read failed');
      }
    }
  }

  private onEntry(entry: KvWatchEntry): void {
    if (entry.operation !== 'PUT') {
      // Only the coordinator can delete the key. Keep serving the last set (an empty one would cut the
      // apiservers off), but accept whatever version is published next, which may restart from 1.
      this.log.warn({ revision: entry.revision, operation: entry.operation }, 'backend set deleted; keeping the applied set');
      this.opts.onDeleted?.();
      return;
    }
    try {
      this.hand(this.decode(entry.value, entry.revision));
    } catch (err) {
      this.log.error({ err: (err as Error).message, revision: entry.revision }, 'ignoring an invalid backend set');
    }
  }

  private decode(value: Uint8Array, revision: number): BackendSet {
    const set = decodeBackendSet(value, `${LB_BUCKET} ${this.key} (revision ${revision})`);
    if (set.cluster !== this.opts.cluster) {
      throw new KubeadmHaError(`${LB_BUCKET} ${this.key} (revision ${revision}) holds the set of cluster "${set.cluster}"`);
    }
    return set;
  }

  private hand(set: BackendSet): void {
    if (this.closed) return;
    this.log.debug({ version: set.version, backends: set.backends.length }, 'backend set read');
    this.opts.onSet(set);
  }

  private async pause(failures: number): Promise<void> {
    if (failures === 0 || this.closed) return;
    const { initialMs, maxMs } = this.opts.backoff ?? { initialMs: 250, maxMs: 15_000 };
    const ms = Math.min(maxMs, initialMs * 2 ** Math.min(failures - 1, 16));
    // Jitter: a fleet of agents that lost the server together should not come back together.
    const jittered = ms / 2 + Math.random() * (ms / 2);
    await sleep(jittered, undefined, { signal: this.stop.signal }).catch(() => undefined);
  }
}
