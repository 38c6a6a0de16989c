/**
 * What the metrics say of etcd and certificates, read on a schedule and kept: a scrape never sends a task to a host.
 * etcd every minute (each control-plane agent asks its local member, the read-only etcdStatus task, not journaled),
 * certificates every --cert-check-interval (kubeadm certs check-expiration through each agent, plus the
 * coordinator's own). Runs only with --metrics-listen: without a scrape target nobody reads it.
 *
 * Who may cause it: the coordinator's own timer. What it can reach: read-only tasks on connected agents.
 */
import type { EtcdMemberRow } from '../../core/etcd/health.js';
import type { Logger } from '../../lib/log.js';
import type { CertificateRow } from '../admin/certs.js';

export interface HealthSnapshot {
  /** The last etcd assessment; absent before the first poll and for an external etcd. */
  readonly etcd?: { readonly members: readonly EtcdMemberRow[]; readonly leaderId?: string; readonly at: Date };
  /** Every certificate of the last check; absent before the first one. */
  readonly certificates?: readonly CertificateRow[];
}

export interface HealthSources {
  /** etcd's members and leader; `undefined` when etcd is not ours to check (external). */
  etcd(signal: AbortSignal): Promise<{ members: readonly EtcdMemberRow[]; leaderId?: string } | undefined>;
  certificates(signal: AbortSignal): Promise<readonly CertificateRow[]>;
}

export interface HealthPoll {
  snapshot(): HealthSnapshot;
  /** Runs both polls now (tests, and the first poll at start). */
  refresh(): Promise<void>;
  stop(): void;
}

export function startHealthPoll(
  sources: HealthSources,
  opts: { readonly etcdIntervalMs?: number; readonly certIntervalMs?: number; readonly logger: Logger; readonly firstMs?: number },
): HealthPoll {
  const abort = new AbortController();
  const log = opts.logger.child({ component: 'health-poll' });
  let etcd: HealthSnapshot['etcd'];
  let certificates: HealthSnapshot['certificates'];
  /** One poll of each kind at a time: a slow check never stacks up behind the timer. */
  const busy = { etcd: false, certs: false };

  const pollEtcd = async () => {
    if (busy.etcd || abort.signal.aborted) return;
    busy.etcd = true;
    try {
      const r = await sources.etcd(abort.signal);
      etcd = r ? { members: r.members, ...(r.leaderId ? { leaderId: r.leaderId } : {}), at: new Date() } : undefined;
    } catch (err) {
      // No cluster yet, or every agent away: the series go away rather than show an old answer as current.
      etcd = undefined;
      log.debug({ err: err instanceof Error ? err.message : String(err) }, 'etcd health poll failed');
    } finally {
      busy.etcd = false;
    }
  };
  const pollCerts = async () => {
    if (busy.certs || abort.signal.aborted) return;
    busy.certs = true;
    try {
      certificates = await sources.certificates(abort.signal);
    } catch (err) {
      log.debug({ err: err instanceof Error ? err.message : String(err) }, 'certificate poll failed');
    } finally {
      busy.certs = false;
    }
  };

  const timers = [setInterval(() => void pollEtcd(), opts.etcdIntervalMs ?? 60_000), setInterval(() => void pollCerts(), opts.certIntervalMs ?? 3_600_000)];
  const first = setTimeout(() => void Promise.all([pollEtcd(), pollCerts()]), opts.firstMs ?? 10_000);
  for (const t of [...timers, first]) t.unref();

  return {
    snapshot: () => ({ ...(etcd ? { etcd } : {}), ...(certificates ? { certificates } : {}) }),
    refresh: async () => {
      await Promise.all([pollEtcd(), pollCerts()]);
    },
    stop() {
      abort.abort();
      clearTimeout(first);
      for (const t of timers) clearInterval(t);
    },
  };
}
