/**
 * The stand-in kube-apiserver: serves HTTPS with a certificate signed by the cluster CA, answers
 * the unauthenticated health endpoints the real one answers (/healthz, /livez, /readyz,
 * /readyz/etcd, /version) and the kube-public cluster-info ConfigMap used by token discovery.
 * Everything else gets the real anonymous 403. Importable, and runnable as a detached child of
 * the simulated `kubeadm init`/`join --control-plane`.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFileSync, writeFileSync, unlinkSync, mkdirSync, watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import { StateStore, collectGarbage, type ClusterState } from './state.js';
import { clusterInfoConfigMap } from './jws.js';
import { versionInfo } from './output.js';
import { EtcdClient, EtcdError } from './etcd-client.js';
import { isManagedKey, REGISTRY_PREFIX, registryObjects, stateFromRegistry } from './registry.js';

export interface StandInApiserverOptions {
  address: string;
  port: number;
  certPem: string;
  keyPem: string;
  /**
   * The etcd health check of /healthz, /livez and /readyz (and their /etcd sub-checks): 200 while it resolves to
   * true; default always. With a real etcd it asks etcd for a quorum read.
   */
  isEtcdMember?: () => boolean | Promise<boolean>;
  /** The check gates /healthz and /livez too, as with a real storage backend; default only /readyz and the /etcd sub-checks. */
  etcdGatesAll?: boolean;
  /** The cluster-info ConfigMap body, or null when there is no cluster; rejects when storage fails. */
  clusterInfo?: () => unknown;
  gitVersion?: string;
  /**
   * The cluster CA: a client certificate it signed authenticates (kube-apiserver's --client-ca-file), which the
   * watch below needs. Without it every request is anonymous.
   */
  clientCaPem?: string;
}

export interface StandInApiserver {
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

function forbidden(path: string): string {
  return JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `forbidden: User "system:anonymous" cannot get path "${path}"`,
    reason: 'Forbidden',
    details: {},
    code: 403,
  });
}

const ETCD_CHECK_PATHS = new Set(['/readyz', '/readyz/etcd', '/healthz/etcd', '/livez/etcd']);
const ALL_HEALTH_PATHS = new Set([...ETCD_CHECK_PATHS, '/healthz', '/livez']);

/** The aggregated health output of a failing check, as kube-apiserver prints it without ?verbose. */
function healthFailure(path: string): string {
  if (path.endsWith('/etcd')) return 'internal server error: etcd client connection not yet established\n';
  const what = path.slice(1);
  return `[+]ping ok\n[+]log ok\n[-]etcd failed: reason withheld\n${what} check failed\n`;
}

/** The one watch an authenticated client can open: ConfigMaps in `default`. Bookmarks keep it busy, like a real one. */
const WATCH_PATH = '/api/v1/namespaces/default/configmaps';
const BOOKMARK_EVERY_MS = 500;

/** Open watch streams: a graceful shutdown ends them (the client sees a finished response and watches again elsewhere). */
type Watches = Set<ServerResponse>;

function serveWatch(res: ServerResponse, watches: Watches): void {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
  let rv = 1000;
  const bookmark = () =>
    res.write(`${JSON.stringify({ type: 'BOOKMARK', object: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: String(++rv) } } })}\n`);
  bookmark();
  const timer = setInterval(bookmark, BOOKMARK_EVERY_MS);
  watches.add(res);
  res.on('close', () => {
    clearInterval(timer);
    watches.delete(res);
  });
}

function handler(o: StandInApiserverOptions, watches: Watches) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'https://apiserver');
    const socket = req.socket as import('node:tls').TLSSocket;
    if (url.pathname === WATCH_PATH && url.searchParams.get('watch') === 'true' && req.method === 'GET' && socket.authorized === true) {
      serveWatch(res, watches);
      return;
    }
    void handle(o, req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: String(e), reason: 'InternalError', code: 500 }));
    });
  };
}

async function handle(o: StandInApiserverOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://apiserver');
  const path = url.pathname;
  const gated = (o.etcdGatesAll ? ALL_HEALTH_PATHS : ETCD_CHECK_PATHS).has(path);
  const member = gated && o.isEtcdMember ? await o.isEtcdMember() : true;
  const text = (code: number, body: string): void => {
    res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
    res.end(body);
  };
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(403, { 'Content-Type': 'application/json' });
    res.end(forbidden(path));
    return;
  }
  switch (path) {
    case '/livez/ping':
    case '/healthz/ping':
      text(200, 'ok');
      return;
    case '/healthz':
    case '/livez':
    case '/readyz':
    case '/readyz/etcd':
    case '/healthz/etcd':
    case '/livez/etcd':
      if (member) text(200, 'ok');
      else text(500, healthFailure(path));
      return;
    case '/version': {
      const v = versionInfo(o.gitVersion ?? 'v1.31.4');
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(v, null, 2));
      return;
    }
    case '/api/v1/namespaces/kube-public/configmaps/cluster-info': {
      const cm = o.clusterInfo ? await o.clusterInfo() : null;
      if (cm) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(cm));
      } else {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end(
          JSON.stringify({
            kind: 'Status',
            apiVersion: 'v1',
            metadata: {},
            status: 'Failure',
            message: 'configmaps "cluster-info" not found',
            reason: 'NotFound',
            details: { name: 'cluster-info', kind: 'configmaps' },
            code: 404,
          }),
        );
      }
      return;
    }
    default:
      res.writeHead(403, { 'Content-Type': 'application/json' });
      res.end(forbidden(path));
  }
}

export async function startStandInApiserver(o: StandInApiserverOptions): Promise<StandInApiserver> {
  const watches: Watches = new Set();
  const server: Server = createServer(
    { cert: o.certPem, key: o.keyPem, ...(o.clientCaPem ? { ca: o.clientCaPem, requestCert: true, rejectUnauthorized: false } : {}) },
    handler(o, watches),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.address, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : o.port;
  return {
    address: o.address,
    port,
    // kube-apiserver's graceful termination: no new connection, requests in flight finish, idle keep-alive
    // connections close, watches end as finished responses (their clients watch again, through the VIP, elsewhere);
    // what is still open after the grace time is cut.
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        for (const w of watches) w.end();
        setTimeout(() => server.closeAllConnections(), 5_000).unref();
      }),
  };
}

function argValue(argv: string[], name: string): string {
  const i = argv.indexOf(`--${name}`);
  const v = i >= 0 ? argv[i + 1] : undefined;
  if (v === undefined) throw new Error(`stand-in apiserver: missing --${name}`);
  return v;
}

function optionalArg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

/** How often the objects are written through to etcd (and a restore looked for). */
const MIRROR_INTERVAL_MS = 300;

/**
 * Keeps the state's objects in etcd (KUBEADM_SIM_ETCD=real): every interval, the objects the state implies are put
 * where they differ and deleted where they went, so /registry follows every kubeadm and kubectl write within a
 * moment. When etcd's revision is below the one recorded after the last write, etcd was restored from a snapshot:
 * its objects then replace the state's (nodes, tokens, kubeadm-certs), as a real cluster restored from a snapshot
 * serves what the snapshot held.
 */
function mirrorToEtcd(store: StateStore, client: EtcdClient, caPem: () => string): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const once = async (): Promise<void> => {
    const s = store.read();
    if (!s) return;
    const { kvs, revision } = await client.rangeWithRevision(REGISTRY_PREFIX, { prefix: true });
    if (s.etcdRevision !== undefined && revision < BigInt(s.etcdRevision)) {
      await store.update((cur) =>
        cur ? { next: { ...stateFromRegistry(cur, kvs), etcdRevision: String(revision) }, result: undefined } : { result: undefined },
      );
      return;
    }
    const want = registryObjects(collectGarbage(s, Date.now()), caPem());
    const have = new Map(kvs.map((kv) => [kv.key, kv.value]));
    let wrote = false;
    for (const [k, v] of want) {
      if (have.get(k) === v) continue;
      await client.put(k, v);
      wrote = true;
    }
    for (const k of have.keys()) {
      if (!isManagedKey(k) || want.has(k)) continue;
      await client.deleteRange(k);
      wrote = true;
    }
    const now = wrote ? (await client.rangeWithRevision(REGISTRY_PREFIX, { prefix: true, limit: 1 })).revision : revision;
    if (s.etcdRevision === undefined || now > BigInt(s.etcdRevision)) {
      await store.update((cur) =>
        cur && (cur.etcdRevision === undefined || now > BigInt(cur.etcdRevision))
          ? { next: { ...cur, etcdRevision: String(now) }, result: undefined }
          : { result: undefined },
      );
    }
  };
  let running = false;
  let again = false;
  const tick = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (running) {
      again = true;
      return;
    }
    running = true;
    void once()
      .catch(() => undefined) // etcd unavailable: the health checks say so; try again
      .finally(() => {
        running = false;
        if (stopped) return;
        if (again) {
          again = false;
          tick();
        } else timer = setTimeout(tick, MIRROR_INTERVAL_MS);
      });
  };
  // A state write (kubeadm, kubectl) reaches etcd at once, not only at the next interval.
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(store.dir, (_event, file) => {
      if (file === 'cluster.json') tick();
    });
  } catch {
    // polling alone
  }
  tick();
  return () => {
    stopped = true;
    watcher?.close();
    if (timer) clearTimeout(timer);
  };
}

/**
 * Child-process entry: `node apiserver.js --address A --port P --cert-file F --key-file F --state-dir D --node N
 * --pid-file F --git-version V [--etcd-servers URL --etcd-cafile F --etcd-certfile F --etcd-keyfile F]`.
 */
async function main(argv: string[]): Promise<void> {
  const nodeName = argValue(argv, 'node');
  const store = new StateStore(argValue(argv, 'state-dir'));
  const pidFile = argValue(argv, 'pid-file');
  const snapshot = (): ClusterState | null => {
    try {
      const s = store.read();
      return s ? collectGarbage(s, Date.now()) : null;
    } catch {
      return null;
    }
  };
  const caPem = (): string => readFileSync(`${store.pkiDir}/ca.crt`, 'utf8');
  const etcdServers = optionalArg(argv, 'etcd-servers');
  const etcd = etcdServers
    ? new EtcdClient(
        etcdServers.split(','),
        {
          caPem: readFileSync(argValue(argv, 'etcd-cafile'), 'utf8'),
          certPem: readFileSync(argValue(argv, 'etcd-certfile'), 'utf8'),
          keyPem: readFileSync(argValue(argv, 'etcd-keyfile'), 'utf8'),
        },
        // kube-apiserver's --etcd-healthcheck-timeout default
        2000,
      )
    : null;
  const server = await startStandInApiserver({
    address: argValue(argv, 'address'),
    port: Number(argValue(argv, 'port')),
    certPem: readFileSync(argValue(argv, 'cert-file'), 'utf8'),
    keyPem: readFileSync(argValue(argv, 'key-file'), 'utf8'),
    gitVersion: argValue(argv, 'git-version'),
    clientCaPem: caPem(),
    ...(etcd
      ? {
          etcdGatesAll: true,
          // The real etcd check: a quorum (linearizable) read, within the health-check timeout.
          isEtcdMember: () => quorumReadWithin(etcd, 2000),
          clusterInfo: async () => {
            const [kv] = await etcd.range('/registry/configmaps/kube-public/cluster-info');
            return kv ? (JSON.parse(kv.value) as unknown) : null;
          },
        }
      : {
          isEtcdMember: () => {
            const s = snapshot();
            return !!s && (s.etcdExternal || s.etcdMembers.some((m) => m.name === nodeName));
          },
          clusterInfo: () => {
            const s = snapshot();
            return s ? clusterInfoConfigMap(s, caPem()) : null;
          },
        }),
  });
  const stopMirror = etcd ? mirrorToEtcd(store, etcd, caPem) : () => undefined;
  mkdirSync(dirname(pidFile), { recursive: true });
  writeFileSync(pidFile, `${process.pid}\n`);
  const stop = (): void => {
    stopMirror();
    try {
      if (readFileSync(pidFile, 'utf8').trim() === String(process.pid)) unlinkSync(pidFile);
    } catch {
      // already removed by whoever killed us
    }
    void server.close().then(() => process.exit(0));
    setTimeout(() => process.exit(0), 6_000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (invokedDirectly) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`stand-in apiserver: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}

/**
 * kube-apiserver's etcd health check: a linearizable Get of the health key within --etcd-healthcheck-timeout. Its
 * clientv3 retries what etcd answers as Unavailable ("leader changed" when a leadership change cuts a read in flight,
 * "no leader" during an election, "too many requests") until that deadline; only a read that cannot be answered in
 * time, or an etcd that does not answer at all, fails the check.
 */
async function quorumReadWithin(etcd: EtcdClient, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await etcd.range('health');
      return true;
    } catch (e) {
      const retriable = e instanceof EtcdError && e.answered && /leader changed|no leader|too many requests/i.test(e.message);
      if (!retriable || Date.now() + 100 >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
