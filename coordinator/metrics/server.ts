/**
 * The scrape endpoint: GET /metrics on --metrics-listen, plain HTTP, Prometheus text format. Off unless the flag is
 * given: the page names every node, address and version of the cluster without asking who reads it, so where it
 * listens (loopback for a local Prometheus agent, an address on a monitoring network) is the operator's choice.
 *
 * Who may cause it: anyone who can reach the address, for reads only. It takes no input beyond the path: requests
 * with a body, other methods and other paths are answered without reading further, headers and idle connections
 * are bounded, and a scrape only formats state the coordinator already holds.
 */
import { createServer, type Server } from 'node:http';
import type { Logger } from '../../lib/log.js';
import { splitHostPort } from '../grpc/server.js';
import type { ClusterMetrics } from './cluster-metrics.js';

export interface MetricsServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

export async function startMetricsServer(listen: string, metrics: Pick<ClusterMetrics, 'render' | 'contentType'>, logger: Logger): Promise<MetricsServer> {
  const { host, port } = splitHostPort(listen);
  const log = logger.child({ component: 'metrics' });
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('only GET\n');
      return;
    }
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('the metrics are at /metrics\n');
      return;
    }
    metrics.render().then(
      (text) => {
        res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (err: unknown) => {
        log.warn({ err: err instanceof Error ? err.message : String(err) }, 'cannot render the metrics');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('the metrics could not be read; see the coordinator log\n');
      },
    );
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  server.keepAliveTimeout = 30_000;
  server.maxHeadersCount = 50;
  server.maxRequestsPerSocket = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: host || '0.0.0.0', port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as { port: number }).port;
  const shown = host.includes(':') ? `[${host}]` : host || '0.0.0.0';
  log.info({ listen: `${shown}:${bound}` }, 'serving metrics');
  return {
    port: bound,
    url: `http://${shown}:${bound}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
