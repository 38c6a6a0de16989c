/**
 * A coordinator and N agents as real processes on loopback: real gRPC with TLS, a real nats-server (supervised by the
 * coordinator), the kubeadm simulator on the agents' PATH, host stubs for what would change this machine, and one
 * temporary root per host. Addresses are 127.0.0.x: loopback, reachable without namespaces.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, killSimApiservers, REPO_ROOT, SIM_BIN_DIR } from '../kubeadm-sim/testing.js';
import { simRunsEtcd, withEtcdGateOverride } from '../support/sim-etcd.js';

const run = promisify(execFile);
export const STUB_BIN_DIR = join(REPO_ROOT, 'test', 'host-stubs', 'bin');
const NODE = process.execPath;

export interface LoopbackHost {
  readonly name: string;
  readonly address: string;
  readonly role: 'control-plane' | 'worker';
}

export interface ClusterOptions {
  readonly hosts: readonly LoopbackHost[];
  readonly clusterName?: string;
  readonly vip?: string;
  /** Extra environment for the agents (simulator delays, TTLs). */
  readonly agentEnv?: Record<string, string>;
  /**
   * The hosts' etcd answers the agents' status calls although the simulator runs none (the deploy benchmark's
   * in-process hosts, test/bench/deploy-fleet.ts), so the etcd health gates run and no `--force` is added.
   */
  readonly etcdAnswers?: boolean;
}

export class LoopbackCluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'kha-it-'));
  readonly simState = join(this.dir, 'sim-state');
  readonly dataDir = join(this.dir, 'coordinator');
  readonly specPath = join(this.dir, 'cluster.yaml');
  readonly logs = join(this.dir, 'logs');
  coordinator: ChildProcess | undefined;
  port = 0;
  readonly agents = new Map<string, ChildProcess>();
  agentConfig = '';
  private readonly clusterName: string;

  constructor(readonly options: ClusterOptions) {
    this.clusterName = options.clusterName ?? 'prod';
    mkdirSync(this.simState, { recursive: true });
    mkdirSync(this.logs, { recursive: true });
    writeFileSync(this.specPath, this.spec());
  }

  root(host: string): string {
    return join(this.dir, 'hosts', host);
  }

  spec(): string {
    const nodes = this.options.hosts.map((h) => `    - { name: ${h.name}, address: ${h.address}, role: ${h.role}, interface: eth0 }`).join('\n');
    return `apiVersion: kubeadm-ha.io/v1alpha1
kind: Cluster
metadata:
  name: ${this.clusterName}
spec:
  kubernetes:
    version: v1.31.4
  controlPlaneEndpoint:
    vip: ${this.options.vip ?? '127.0.0.100/24'}
  nodes:
${nodes}
`;
  }

  startCoordinator(): Promise<void> {
    return this.startCoordinatorWith([]);
  }

  async startCoordinatorWith(extraArgs: readonly string[]): Promise<void> {
    this.port ||= await freePort('127.0.0.1');
    const out = join(this.logs, 'coordinator.log');
    const startedBefore = (() => {
      try {
        return readFileSync(out, 'utf8').split('admin credentials in').length;
      } catch {
        return 1;
      }
    })();
    this.coordinator = spawn(
      NODE,
      [
        join(REPO_ROOT, 'dist/coordinator/main.js'),
        '--cluster',
        this.clusterName,
        '--data-dir',
        this.dataDir,
        '--listen',
        `127.0.0.1:${this.port}`,
        '--log-level',
        'debug',
        ...extraArgs,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const log = (chunk: Buffer) => writeFileSync(out, chunk, { flag: 'a' });
    this.coordinator.stderr!.on('data', log);
    await this.waitFor(() => readFileSync(out, 'utf8').split('admin credentials in').length > startedBefore, 30_000, 'the coordinator to start');
  }

  async stopCoordinator(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.coordinator;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await exited;
  }

  /**
   * Whether this cluster's simulated control planes run real etcd members. Not here (the simulator runs etcd only
   * with KUBEADM_SIM_ETCD=real in its agents' environment), so deploy, add-node and remove-node get `--force` past
   * the etcd health gates, which would rightly refuse a cluster whose etcd nobody can reach (test/support/sim-etcd.ts).
   */
  get runsEtcd(): boolean {
    return this.options.etcdAnswers === true || simRunsEtcd(this.options.agentEnv);
  }

  get adminConf(): string {
    return join(this.dataDir, 'admin.conf');
  }

  async ctl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await run(
        NODE,
        [
          join(REPO_ROOT, 'dist/coordinator/cli/main.js'),
          ...withEtcdGateOverride(args, this.runsEtcd),
          ...(['validate', 'render', 'plan'].includes(args[0]!) ? [] : ['--admin-conf', this.adminConf]),
        ],
        {
          maxBuffer: 64 * 1024 * 1024,
        },
      );
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  }

  ctlSpawn(...args: string[]): ChildProcess {
    return spawn(NODE, [join(REPO_ROOT, 'dist/coordinator/cli/main.js'), ...withEtcdGateOverride(args, this.runsEtcd), '--admin-conf', this.adminConf], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }

  /**
   * The agent.yaml every host of the lab gets. By default one token for the whole lab: control-plane (the spec decides
   * each deployed node's role; a control-plane token may register either), with a use for every host and re-registration (twice over, plus a margin).
   */
  async createAgentConfig(flags: readonly string[] = ['--role', 'control-plane', '--uses', String(2 * this.options.hosts.length + 10)]): Promise<string> {
    const r = await this.ctl('token', 'create', '--ttl', '1h', ...flags);
    if (r.code !== 0) throw new Error(`token create failed: ${r.stderr}`);
    this.agentConfig = r.stdout;
    return r.stdout;
  }

  agentEnv(host: LoopbackHost): Record<string, string> {
    return {
      PATH: `${STUB_BIN_DIR}:${SIM_BIN_DIR}:${process.env.PATH}`,
      KUBEADM_SIM_ROOT: this.root(host.name),
      KUBEADM_SIM_STATE: this.simState,
      KUBEADM_SIM_APISERVER: 'spawn',
      KHA_STUB_ADDRESS: host.address,
      HOME: this.root(host.name),
      ...this.options.agentEnv,
    };
  }

  /** Starts the agent from dist/ (or `binary`, e.g. the single-file build) with this host's root and environment. */
  startAgent(host: LoopbackHost, binary?: string): ChildProcess {
    const root = this.root(host.name);
    mkdirSync(join(root, 'etc/kubeadm-ha'), { recursive: true });
    mkdirSync(join(root, 'run/containerd'), { recursive: true });
    writeFileSync(join(root, 'run/containerd/containerd.sock'), '');
    const configPath = join(root, 'etc/kubeadm-ha/agent.yaml');
    writeFileSync(configPath, `${this.agentConfig}nodeName: ${host.name}\nstateDir: ${join(root, 'var/lib/kubeadm-ha')}\n`, { mode: 0o600 });
    const args = ['--config', configPath, '--host-root', root, '--log-level', 'debug'];
    const child = spawn(binary ?? NODE, binary ? args : [join(REPO_ROOT, 'dist/agent/main.js'), ...args], {
      env: this.agentEnv(host),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const out = join(this.logs, `agent-${host.name}.log`);
    child.stderr!.on('data', (chunk: Buffer) => writeFileSync(out, chunk, { flag: 'a' }));
    this.agents.set(host.name, child);
    return child;
  }

  invocations(): {
    tool: string;
    ts_start: number;
    ts_end: number;
    host: string | null;
    root: string;
    argv: string[];
    exitCode: number;
    details?: Record<string, string>;
  }[] {
    try {
      return readFileSync(join(this.simState, 'invocations.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as never);
    } catch {
      return [];
    }
  }

  async waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const start = Date.now();
    for (;;) {
      try {
        if (check()) return;
      } catch {
        // not there yet
      }
      if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async destroy(): Promise<void> {
    for (const child of this.agents.values()) if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.all([...this.agents.values()].map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
    await this.stopCoordinator();
    killSimApiservers(this.options.hosts.map((h) => this.root(h.name)));
    if (!process.env.KHA_KEEP_TEST_DIRS) rmSync(this.dir, { recursive: true, force: true });
  }
}
