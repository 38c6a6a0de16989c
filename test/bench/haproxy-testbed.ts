/**
 * A real haproxy 2.6 on loopback for the applier's tests and benchmark: started master-worker with its own master CLI,
 * configured by the product renderer (core/render/haproxy.ts) from the fixture cluster, in front of small HTTPS
 * servers that stand in for kube-apiservers (`/healthz` answers 200, `/` answers the node name).
 *
 * The rendered file is moved onto this machine's loopback: sockets under a scratch root instead of /run/haproxy, and
 * the frontend and monitor ports chosen free instead of 8443/8404, so that it runs beside anything else on the host.
 * Nothing else in the file changes. Everything is stopped by close().
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer, request as httpsRequest, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse, stringify } from 'yaml';
import { LocalHostOps } from '../../agent/hostops.js';
import { HaproxyMasterCli, HaproxyRuntime } from '../../agent/lb/haproxy-runtime.js';
import type { Backend, BackendSet } from '../../core/backend-set.js';
import { planCluster, type ClusterPlan } from '../../core/plan.js';
import { HAPROXY_HEALTHZ_PORT, addServerCommand, loadBalancerConfig, renderHaproxyConfig } from '../../core/render/haproxy.js';
import { parseSpecYaml } from '../../core/spec.js';
import { silentLogger } from '../../lib/log.js';
import { freePort, REPO_ROOT } from '../kubeadm-sim/testing.js';

export { freePort };

export const HAPROXY_BINARY = ['/usr/sbin/haproxy', '/usr/local/sbin/haproxy'].find((p) => existsSync(p));
// From the repository, not dist/: nothing copies fixtures into the build.
const FIXTURE = join(REPO_ROOT, 'test/fixtures/cluster.yaml');

/** Host paths, as the applier is given them; the files live under the testbed's root. */
export const CONFIG_PATH = '/etc/haproxy/haproxy.cfg';
export const ADMIN_SOCKET = '/run/haproxy/admin.sock';
export const MASTER_SOCKET = '/run/haproxy/master.sock';
export const PID_FILE = '/run/haproxy/haproxy.pid';

export interface FakeApiserver {
  readonly name: string;
  readonly port: number;
  /** Requests answered on `/`, health checks excluded. */
  served: number;
  close(): Promise<void>;
}

export class HaproxyTestbed {
  readonly host: LocalHostOps;
  readonly plan: ClusterPlan;
  readonly runtime: HaproxyRuntime;
  readonly master: HaproxyMasterCli;
  private haproxy: ChildProcess | undefined;
  private output = '';
  private readonly apiservers: FakeApiserver[] = [];
  private readonly key: string;
  private readonly cert: string;
  /** Server names whose line gets extra keywords, in the file and in `add server` alike. */
  readonly extraServerArguments = new Map<string, string>();

  private constructor(
    readonly root: string,
    private frontend: number,
    private healthzPort: number,
  ) {
    this.host = new LocalHostOps(root, silentLogger);
    // Fast checks so that a new server is UP within a few hundred milliseconds.
    const doc = parse(readFileSync(FIXTURE, 'utf8')) as { spec: { controlPlaneEndpoint: Record<string, unknown> } };
    doc.spec.controlPlaneEndpoint.haproxy = { healthCheck: { intervalMs: 200, fall: 2, rise: 1 } };
    this.plan = planCluster(parseSpecYaml(stringify(doc)), { authPass: 'testbed' });
    this.runtime = new HaproxyRuntime(this.real(ADMIN_SOCKET));
    this.master = new HaproxyMasterCli(this.real(MASTER_SOCKET));
    const out = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=kube-apiserver',
        '-keyout',
        join(root, 'tls.key'),
        '-out',
        join(root, 'tls.crt'),
      ],
      { encoding: 'utf8' },
    );
    if (out.status !== 0) throw new Error(`openssl req failed: ${out.stderr}`);
    this.key = readFileSync(join(root, 'tls.key'), 'utf8');
    this.cert = readFileSync(join(root, 'tls.crt'), 'utf8');
  }

  static async create(label: string): Promise<HaproxyTestbed> {
    if (!HAPROXY_BINARY) throw new Error('haproxy is not installed');
    const root = mkdtempSync(join(tmpdir(), `kha-${label}-`));
    return new HaproxyTestbed(root, await freePort(), await freePort());
  }

  get frontendPort(): number {
    return this.frontend;
  }

  real(hostPath: string): string {
    return join(this.root, hostPath);
  }

  render = (set: BackendSet): string => {
    let text = renderHaproxyConfig(this.plan, set.backends, { backendSetVersion: set.version })
      .split('/run/haproxy/')
      .join(`${this.root}/run/haproxy/`)
      .replace(/^(\s*bind )\*:\d+$/m, `$1127.0.0.1:${this.frontend}`)
      .replace(`bind 127.0.0.1:${HAPROXY_HEALTHZ_PORT}`, `bind 127.0.0.1:${this.healthzPort}`);
    for (const [name, extra] of this.extraServerArguments) text = text.replace(new RegExp(`^(\\s*server ${name} .*)$`, 'm'), `$1 ${extra}`);
    return text;
  };

  addServerCommand = (backend: Backend): string => {
    const extra = this.extraServerArguments.get(backend.name);
    return addServerCommand(loadBalancerConfig(this.plan), backend) + (extra ? ` ${extra}` : '');
  };

  async startApiserver(name: string): Promise<FakeApiserver> {
    const server: Server = createHttpsServer({ key: this.key, cert: this.cert }, (req, res) => {
      if (req.url === '/healthz') {
        res.end('ok');
        return;
      }
      api.served++;
      res.end(name);
    });
    // Idle keep-alive connections stay open until the client or haproxy closes them, like an apiserver watch.
    server.keepAliveTimeout = 0;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (typeof address !== 'object' || !address) throw new Error('https server has no address');
    const api: FakeApiserver = {
      name,
      port: address.port,
      served: 0,
      close: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    };
    this.apiservers.push(api);
    return api;
  }

  backendOf(api: FakeApiserver, state: Backend['state'] = 'active'): Backend {
    return { name: api.name, address: '127.0.0.1', port: api.port, state };
  }

  async writeConfig(set: BackendSet): Promise<void> {
    await this.host.writeFile(CONFIG_PATH, this.render(set), 0o644);
  }

  /**
   * Starts haproxy master-worker from the file on disk, with the master CLI and a pid file; waits for its worker.
   * A port taken between our pick and haproxy's bind (another test's explicit bind) is a testbed accident, not a
   * finding: the testbed moves its frontend and healthz ports, rewrites the file's bind lines and starts again.
   */
  async startHaproxy(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.startHaproxyOnce();
        return;
      } catch (err) {
        if (attempt >= 3 || !/cannot bind socket \(Address already in use\)/.test(this.output)) throw err;
        this.haproxy = undefined;
        await this.movePorts();
      }
    }
  }

  private async movePorts(): Promise<void> {
    const [frontend, healthz] = [await freePort(), await freePort()];
    const text = readFileSync(this.real(CONFIG_PATH), 'utf8')
      .split(`bind 127.0.0.1:${this.frontend}`)
      .join(`bind 127.0.0.1:${frontend}`)
      .split(`bind 127.0.0.1:${this.healthzPort}`)
      .join(`bind 127.0.0.1:${healthz}`);
    [this.frontend, this.healthzPort] = [frontend, healthz];
    await this.host.writeFile(CONFIG_PATH, text, 0o644);
  }

  private async startHaproxyOnce(): Promise<void> {
    if (this.haproxy) throw new Error('haproxy already runs');
    mkdirSync(this.real('/run/haproxy'), { recursive: true });
    this.output = '';
    const child = spawn(HAPROXY_BINARY!, ['-W', '-db', '-f', this.real(CONFIG_PATH), '-S', `${this.real(MASTER_SOCKET)},mode,600`, '-p', this.real(PID_FILE)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString('utf8')).slice(-16_384);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.haproxy = child;
    for (let i = 0; i < 200; i++) {
      if (child.exitCode !== null) throw new Error(`haproxy exited ${child.exitCode}: ${this.output}`);
      // The master starts accepting on its CLI only after the worker is up; wait for both.
      const ready = await Promise.all([this.runtime.workerPid(), this.master.showProc()]).then(
        () => true,
        () => false,
      );
      if (ready) return;
      await sleep(50);
    }
    throw new Error(`haproxy did not answer on its stats socket and master CLI: ${this.output}`);
  }

  async stopHaproxy(): Promise<void> {
    const child = this.haproxy;
    this.haproxy = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  get haproxyOutput(): string {
    return this.output;
  }

  /** `haproxy -c` on the file on disk. */
  checkConfigFile(): { ok: boolean; output: string } {
    const r = spawnSync(HAPROXY_BINARY!, ['-c', '-f', this.real(CONFIG_PATH)], { encoding: 'utf8' });
    return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
  }

  /** One HTTPS request through haproxy's frontend on a new connection; resolves with the answering node's name. */
  request(timeoutMs = 5000): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        { host: '127.0.0.1', port: this.frontendPort, path: '/', agent: false, rejectUnauthorized: false, timeout: timeoutMs },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}`))));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('request timed out')));
      req.on('error', reject);
      req.end();
    });
  }

  async close(): Promise<void> {
    await this.stopHaproxy();
    await Promise.all(this.apiservers.map((a) => a.close()));
    rmSync(this.root, { recursive: true, force: true });
  }
}

export function backendSet(version: number, backends: readonly Backend[]): BackendSet {
  return { cluster: 'prod', version, backends: [...backends].sort((a, b) => (a.name < b.name ? -1 : 1)) };
}
