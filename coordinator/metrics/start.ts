/**
 * Wires the metrics together for the daemon: the health poll (etcd, certificates), the series over the runtime and
 * the hub, and the HTTP endpoint. Started only with --metrics-listen.
 */
import { certsCheck } from '../admin/certs.js';
import { etcdStatus } from '../admin/etcd.js';
import type { CoordinatorRuntime } from '../runtime.js';
import type { SessionHub } from '../sessions.js';
import { createClusterMetrics } from './cluster-metrics.js';
import { startHealthPoll } from './health-poll.js';
import { startMetricsServer } from './server.js';

export async function startClusterMetrics(
  rt: CoordinatorRuntime,
  hub: Pick<SessionHub, 'on' | 'off'>,
  opts: { readonly listen: string; readonly etcdIntervalMs?: number; readonly certIntervalMs?: number },
): Promise<{ readonly url: string; stop(): Promise<void> }> {
  const poll = startHealthPoll(
    {
      etcd: async (signal) => {
        const answer = await etcdStatus(rt, signal);
        if (answer.skipped) return undefined;
        return { members: answer.assessment.members, ...(answer.assessment.leaderId ? { leaderId: answer.assessment.leaderId } : {}) };
      },
      certificates: async (signal) => (await certsCheck(rt, signal)).rows,
    },
    {
      logger: rt.logger,
      ...(opts.etcdIntervalMs !== undefined ? { etcdIntervalMs: opts.etcdIntervalMs } : {}),
      ...(opts.certIntervalMs !== undefined ? { certIntervalMs: opts.certIntervalMs } : {}),
    },
  );
  const metrics = createClusterMetrics({
    rt,
    health: () => poll.snapshot(),
    onLbStatus: (listener) => {
      hub.on('lbStatus', listener);
      return () => hub.off('lbStatus', listener);
    },
  });
  let server;
  try {
    server = await startMetricsServer(opts.listen, metrics, rt.logger);
  } catch (err) {
    poll.stop();
    metrics.stop();
    throw err;
  }
  return {
    url: server.url,
    async stop() {
      poll.stop();
      metrics.stop();
      await server.close();
    },
  };
}
