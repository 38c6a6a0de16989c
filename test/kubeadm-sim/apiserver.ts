/**
 * The stand-in kube-apiserver: serves HTTPS with a certificate signed by the cluster CA, answers
 * the unauthenticated health endpoints the real one answers (/healthz, /livez, /readyz,
 * /readyz/etcd, /version) and the kube-public cluster-info ConfigMap used by token discovery.
 * Everything else gets the real anonymous 403. Importable, and runnable as a detached child of
 * the simulated `kubeadm init`/`join --control-plane`.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFileSync, writeFileSync, unlinkSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { StateStore, collectGarbage, type ClusterState } from './state.js';
import { clusterInfoConfigMap } from './jws.js';
import { versionInfo } from './output.js';

export interface StandInApiserverOptions {
  address: string;
  port: number;
  certPem: string;
  keyPem: string;
  /** /readyz/etcd answers 200 while this returns true; default always. */
  isEtcdMember?: () => boolean;
  /** The cluster-info ConfigMap body, or null when there is no cluster. */
  clusterInfo?: () => unknown;
  gitVersion?: string;
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

function handler(o: StandInApiserverOptions) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'https://apiserver');
    const path = url.pathname;
    const member = o.isEtcdMember ? o.isEtcdMember() : true;
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
      case '/healthz':
      case '/livez':
      case '/livez/ping':
      case '/healthz/ping':
        text(200, 'ok');
        return;
      case '/readyz':
      case '/readyz/etcd':
      case '/healthz/etcd':
      case '/livez/etcd':
        if (member) text(200, 'ok');
        else
          text(
            500,
            path === '/readyz'
              ? '[+]ping ok\n[+]log ok\n[-]etcd failed: reason withheld\nreadyz check failed\n'
              : 'internal server error: etcd client connection not yet established\n',
          );
        return;
      case '/version': {
        const v = versionInfo(o.gitVersion ?? 'v1.31.4');
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(v, null, 2));
        return;
      }
      case '/api/v1/namespaces/kube-public/configmaps/cluster-info': {
        const cm = o.clusterInfo ? o.clusterInfo() : null;
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
  };
}

export async function startStandInApiserver(o: StandInApiserverOptions): Promise<StandInApiserver> {
  const server: Server = createServer({ cert: o.certPem, key: o.keyPem }, handler(o));
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
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function argValue(argv: string[], name: string): string {
  const i = argv.indexOf(`--${name}`);
  const v = i >= 0 ? argv[i + 1] : undefined;
  if (v === undefined) throw new Error(`stand-in apiserver: missing --${name}`);
  return v;
}

/** Child-process entry: `node apiserver.js --address A --port P --cert-file F --key-file F --state-dir D --node N --pid-file F`. */
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
  const server = await startStandInApiserver({
    address: argValue(argv, 'address'),
    port: Number(argValue(argv, 'port')),
    certPem: readFileSync(argValue(argv, 'cert-file'), 'utf8'),
    keyPem: readFileSync(argValue(argv, 'key-file'), 'utf8'),
    gitVersion: argValue(argv, 'git-version'),
    isEtcdMember: () => {
      const s = snapshot();
      return !!s && (s.etcdExternal || s.etcdMembers.some((m) => m.name === nodeName));
    },
    clusterInfo: () => {
      const s = snapshot();
      if (!s) return null;
      const ca = readFileSync(`${store.pkiDir}/ca.crt`, 'utf8');
      return clusterInfoConfigMap(s, ca);
    },
  });
  mkdirSync(dirname(pidFile), { recursive: true });
  writeFileSync(pidFile, `${process.pid}\n`);
  const stop = (): void => {
    try {
      if (readFileSync(pidFile, 'utf8').trim() === String(process.pid)) unlinkSync(pidFile);
    } catch {
      // already removed by whoever killed us
    }
    void server.close().then(() => process.exit(0));
    setTimeout(() => process.exit(0), 500).unref();
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
