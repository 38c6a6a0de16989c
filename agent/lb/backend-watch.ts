/**
 * The LB agent's view of its cluster's backend set: one key of `kha-lb`, read over a NATS connection made with the
 * agent's own nkey and verified with TLS against the CA the agent trusts (identity.ts natsTlsFor).
 *
 * Who may cause what: only the coordinator's NATS user may publish the set (`$KV.kha-lb.<cluster>`); the agent's user
 * may subscribe to that one subject and its own inbox, and ask for the key's latest stored message with a direct get
 * (coordinator/nats/permissions.ts). It cannot create a JetStream consumer, so agents leave nothing on the server.
 *
 * - Live changes arrive on a plain core-NATS subscription to the key's subject: every put, delete and purge the
 *   coordinator publishes, with no server-side state per agent.
 * - What was published while the agent was away is not replayed (core NATS): on every (re)connect, after the
 *   subscription is in place, and on a slow period, a direct get reads the key's latest stored value. The latest set is
 *   the whole truth, so nothing in between is needed.
 * - Every valid set of the agent's cluster is handed to `onSet` as it is read, the same version possibly more than
 *   once (a live message and a direct read): ordering, skipping and retrying are the mailbox's (backend-mailbox.ts),
 *   which `onSet` feeds.
 * - The connection is retried forever with backoff; nothing here gives up while the agent runs.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstreamManager, type DirectStreamAPI, type StoredMsg } from '@nats-io/jetstream';
import type { Msg, MsgHdrs } from '@nats-io/transport-node';
import { decodeBackendSet, type BackendSet } from '../../core/backend-set.js';
import { KubeadmHaError } from '../../core/errors.js';
import { dns1123LabelProblem } from '../../core/validate.js';
import type { Logger } from '../../lib/log.js';
import { connectNats, isTlsNatsUrl, type NatsConnection } from '../../lib/nats/connect.js';
import { nkeyCredentials, nkeyPublicKeyOf, type NatsClientTls, type NatsCredentials } from '../../lib/nats/credentials.js';
import { LB_BUCKET, agentInboxPrefix, backendSetKey, kvStreamName, kvSubject } from '../../lib/nats/names.js';

/** The header JetStream KV marks deletes and purges with; a put has none. */
const KV_OPERATION = 'KV-Operation';

export interface BackendWatchOptions {
  readonly url: string;
  /** The agent's nkey user seed, made at registration. */
  readonly nkeySeed: Uint8Array | string;
  /**
   * The user JWT the coordinator issued for that seed's key, read at every (re)connect so a fresh one is used as soon
   * as it arrives; undefined: connect with the bare nkey (an external NATS that lists agents' keys itself).
   */
  readonly userJwt?: () => string | undefined;
  readonly cluster: string;
  /** Receives each set read; returns at once (it queues the set, see backend-mailbox.ts). */
  readonly onSet: (set: BackendSet) => void;
  /**
   * The key was deleted (only the coordinator can): the applied set stays, but whatever version is published next
   * is to be taken, as it may restart from 1.
   */
  readonly onDeleted?: () => void;
  readonly logger: Logger;
  /** Required with a `tls://` URL: the CA the NATS server's certificate must chain to (never the system store). */
  readonly tls?: NatsClientTls;
  /** Connection name shown by the server, e.g. the node name. */
  readonly name?: string;
  /** Between attempts to connect and to watch. */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  readonly reconnectTimeWaitMs?: number;
  /** A direct read of the key on this period, in case a live message was lost without a sign (slow consumer). */
  readonly resyncIntervalMs?: number;
}

export interface BackendWatch {
  /** Resolves once the connection is closed; `onSet` is not called afterwards. */
  close(): Promise<void>;
}

export function watchBackendSet(opts: BackendWatchOptions): BackendWatch {
  const problem = dns1123LabelProblem(opts.cluster);
  if (problem) throw new KubeadmHaError(`backend watch: cluster name: ${problem}`);
  if (isTlsNatsUrl(opts.url) && !opts.tls?.ca && !opts.tls?.caFile) {
    throw new KubeadmHaError(`backend watch: ${opts.url} needs the CA to verify the NATS server with`);
  }
  const watcher = new BackendWatcher(opts);
  watcher.start();
  return { close: () => watcher.close() };
}

class BackendWatcher {
  private readonly stop = new AbortController();
  private readonly log: Logger;
  private readonly key: string;
  private readonly subject: string;
  private readonly stream = kvStreamName(LB_BUCKET);
  private readonly publicKey: string;
  private nc: NatsConnection | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly opts: BackendWatchOptions) {
    this.log = opts.logger.child({ component: 'backend-watch', cluster: opts.cluster });
    this.key = backendSetKey(opts.cluster);
    this.subject = kvSubject(LB_BUCKET, this.key);
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

  private credentials(): NatsCredentials {
    const nkey = nkeyCredentials(this.opts.nkeySeed);
    const jwt = this.opts.userJwt?.();
    if (!jwt || nkey.kind !== 'nkey') return nkey;
    return { kind: 'jwt', jwt: () => this.opts.userJwt?.() ?? jwt, seed: nkey.seed };
  }

  private get closed(): boolean {
    return this.stop.signal.aborted;
  }

  private async connectLoop(): Promise<void> {
    for (let failures = 0; !this.closed; ) {
      try {
        const nc = await connectNats(
          { url: this.opts.url, credentials: this.credentials(), ...(this.opts.tls ? { tls: this.opts.tls } : {}) },
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
        const untrusted = trustProblem(err);
        if (untrusted) {
          // Loud: either the server was moved without its certificate, or someone on the path poses as it.
          this.log.error(
            { err: (err as Error).message, reason: untrusted, url: this.opts.url, failures },
            'refusing the NATS server: it is not the one this agent trusts; no backend set taken from it',
          );
        } else {
          this.log.warn({ err: (err as Error).message, failures }, 'cannot reach NATS for the backend set; retrying');
        }
      } finally {
        if (this.nc && !this.nc.isClosed()) await this.nc.close().catch(() => undefined);
      }
      await this.pause(failures);
    }
  }

  /** One connection's lifetime: the subscription, a direct read after every (re)connect and the periodic one. */
  private async session(nc: NatsConnection): Promise<void> {
    // checkAPI off: the account-info probe is a request the agent's user is not granted.
    const direct = (await jetstreamManager(nc, { checkAPI: false })).direct;
    let generation = 0;
    const catchUp = () => {
      const mine = ++generation;
      void this.catchUpLoop(direct, () => mine !== generation || this.closed || nc.isClosed());
    };
    const subscription = this.subscriptionLoop(nc, catchUp);
    const statuses = (async () => {
      for await (const s of nc.status()) {
        // Messages published while we were away are gone (core NATS); the subscription itself was renewed by the
        // reconnect, so the latest stored value read now is followed by every later change.
        if (s.type === 'reconnect') catchUp();
      }
    })();
    const resync = this.resyncLoop(direct, nc);
    try {
      const closedErr = await nc.closed();
      if (closedErr && !this.closed) this.log.warn({ err: closedErr.message }, 'NATS connection closed');
    } finally {
      generation++;
      await statuses.catch(() => undefined);
      await subscription;
      await resync;
    }
  }

  private async subscriptionLoop(nc: NatsConnection, catchUp: () => void): Promise<void> {
    for (let failures = 0; !this.closed && !nc.isClosed(); ) {
      try {
        const sub = nc.subscribe(this.subject);
        try {
          // The server has the subscription before the key is read: nothing published in between is missed.
          await nc.flush();
          catchUp();
          failures = 0;
          for await (const msg of sub) this.onMessage(msg);
        } finally {
          if (!nc.isClosed()) sub.unsubscribe();
        }
        if (this.closed || nc.isClosed()) return;
        failures = 1;
        this.log.warn('backend set subscription ended; subscribing again');
      } catch (err) {
        if (this.closed || nc.isClosed()) return;
        failures++;
        this.log.warn({ err: (err as Error).message, failures }, 'cannot subscribe to the backend set; retrying');
      }
      await this.pause(failures);
    }
  }

  /** Reads the latest stored value until it succeeds or a newer catch-up (reconnect) or close supersedes it. */
  private async catchUpLoop(direct: DirectStreamAPI, superseded: () => boolean): Promise<void> {
    for (let failures = 0; !superseded(); ) {
      try {
        const stored = await direct.getMessage(this.stream, { last_by_subj: this.subject });
        if (superseded()) return;
        if (stored) this.onStored(stored, { deletes: true });
        return;
      } catch (err) {
        if (superseded()) return;
        failures++;
        this.log.warn({ err: (err as Error).message, failures }, 'cannot read the backend set; retrying');
      }
      await this.pause(failures);
    }
  }

  private async resyncLoop(direct: DirectStreamAPI, nc: NatsConnection): Promise<void> {
    const period = this.opts.resyncIntervalMs ?? 60_000;
    while (!this.closed && !nc.isClosed()) {
      try {
        await sleep(period, undefined, { signal: this.stop.signal });
      } catch {
        return;
      }
      if (nc.isClosed()) return;
      try {
        const stored = await direct.getMessage(this.stream, { last_by_subj: this.subject });
        // A delete was seen live or at the last catch-up; forgetting again on every period would gain nothing.
        if (stored) this.onStored(stored, { deletes: false });
      } catch (err) {
        this.log.debug({ err: (err as Error).message }, 'backend set resync read failed');
      }
    }
  }

  /** A live message on the key's subject, as the coordinator published it. */
  private onMessage(msg: Msg): void {
    this.onValue(msg.data, msg.headers, 'live', true);
  }

  /** A direct-get reply: the stored message with Nats-Subject, Nats-Sequence, … and the put's own headers. */
  private onStored(stored: StoredMsg, opts: { deletes: boolean }): void {
    if (stored.subject !== this.subject) {
      this.log.error({ subject: stored.subject }, 'ignoring a direct-get reply for another subject');
      return;
    }
    this.onValue(stored.data, stored.header, `revision ${stored.seq}`, opts.deletes);
  }

  private onValue(data: Uint8Array, headers: MsgHdrs | undefined, where: string, deletes: boolean): void {
    if (this.closed) return;
    const operation = headers?.get(KV_OPERATION) || 'PUT';
    if (operation !== 'PUT') {
      if (!deletes) return;
      // Only the coordinator can delete the key. Keep serving the last set (an empty one would cut the
      // apiservers off), but accept whatever version is published next, which may restart from 1.
      this.log.warn({ where, operation }, 'backend set deleted; keeping the applied set');
      this.opts.onDeleted?.();
      return;
    }
    try {
      this.hand(this.decode(data, where));
    } catch (err) {
      this.log.error({ err: (err as Error).message, where }, 'ignoring an invalid backend set');
    }
  }

  private decode(value: Uint8Array, where: string): BackendSet {
    const set = decodeBackendSet(value, `${LB_BUCKET} ${this.key} (${where})`);
    if (set.cluster !== this.opts.cluster) {
      throw new KubeadmHaError(`${LB_BUCKET} ${this.key} (${where}) holds the set of cluster "${set.cluster}"`);
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

/**
 * Why a failed connect means "not the server we trust" rather than "unreachable": Node's certificate verification
 * codes, or a server that does not speak TLS when we require it.
 */
function trustProblem(err: unknown): string | undefined {
  for (let e = err as (Error & { code?: string; cause?: unknown }) | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    const code = typeof e.code === 'string' ? e.code : '';
    if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS_CERT_ALTNAME/.test(code)) {
      return `its certificate does not verify against the trusted CA (${code})`;
    }
    if (/does not support 'tls'|tls.*is not available/i.test(e.message ?? '')) return 'it does not speak TLS';
  }
  return undefined;
}
