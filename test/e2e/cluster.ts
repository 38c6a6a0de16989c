/**
 * A whole cluster on a lab segment: nats-server and the coordinator in a `coordinator` namespace (198.18.0.2), one
 * real kubeadm-ha-agent process per host namespace with its own host root, and a kubelet stand-in per control-plane
 * host running the real keepalived and haproxy from the static pod manifests the agents write, and the real etcd from
 * the etcd.yaml the simulated kubeadm writes (KUBEADM_SIM_ETCD=real: members join as learners and leave on reset). kubeadm is the
 * simulator (its stand-in apiserver serves HTTPS /healthz on each control-plane address:6443, healthy while its etcd
 * member has quorum); every host stub stays
 * except `ip`, which is the real iproute2 inside the namespace. `destroy()` tears everything down and is safe to call
 * after a failure at any point.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { killSimApiservers, REPO_ROOT, SIM_BIN_DIR } from '../kubeadm-sim/testing.js';
import type { KubeletBackoff } from '../kubelet-standin/pod-worker.js';
import { startKubeletStandin, type KubeletStandin } from '../kubelet-standin/standin.js';
import { createLab, type Lab, type LabProcess } from '../netns/harness.js';
import { httpGetFrom } from '../netns/http-client.js';
import { HaproxyRuntime } from '../../agent/lb/haproxy-runtime.js';
import { HAPROXY_ADMIN_SOCKET, HAPROXY_BACKEND } from '../../core/render/haproxy.js';
import { sleep } from '../netns/proc.js';
import { PACKAGED_AGENT } from './build.js';
import { simRunsEtcd, withEtcdGateOverride } from '../support/sim-etcd.js';

export const COORDINATOR_ADDRESS = '198.18.0.2';
/** The coordinator's --metrics-listen port in the lab (and the sandbox). */
export const METRICS_PORT = 9444;
export const METRICS_URL = `http://${COORDINATOR_ADDRESS}:${METRICS_PORT}/metrics`;
export const COORDINATOR_PORT = 9443;
export const DEFAULT_VIP = '198.18.0.100';
export const LB_PORT = 8443;
const NODE = process.execPath;
const SERVER_STATE = { running: 'UP', stopped: 'DOWN', starting: 'STARTING', stopping: 'STOPPING' } as const;
const CLI = join(REPO_ROOT, 'dist/coordinator/cli/main.js');
const HOST_STUBS = join(REPO_ROOT, 'test', 'host-stubs', 'bin');

export interface E2eHost {
  readonly name: string;
  /** Bare address from 198.18.0.0/24. */
  readonly address: string;
  readonly role: 'control-plane' | 'worker';
  /** Not in the spec: registers on its own (auto-join). */
  readonly unlisted?: boolean;
  /**
   * Runs the single-file executable the packages ship (a copy of dist/bin/kubeadm-ha-agent, see ensurePackagedAgent)
   * instead of `node dist/agent/main.js`. The simulator and host stubs it starts still find node on PATH through their own
   * wrappers; the agent process itself is the executable (check with agentExecutable).
   */
  readonly packaged?: boolean;
}

export interface E2eClusterOptions {
  readonly name: string;
  readonly hosts: readonly E2eHost[];
  readonly clusterName?: string;
  readonly vip?: string;
  readonly virtualRouterId?: number;
  /** Extra YAML under `spec.controlPlaneEndpoint` (indented 4 spaces), e.g. `    keepalived:\n      preempt: true`. */
  readonly endpointExtra?: string;
  /** Extra YAML under `spec` (indented 2 spaces). */
  readonly specExtra?: string;
  readonly agentEnv?: Record<string, string>;
  /** The cluster's Kubernetes version (the spec's and the simulated kubeadm's); default v1.31.4. */
  readonly kubernetesVersion?: string;
  /** Kubelet stand-in restart timing (benchmarks kill daemons many times; the real backoff would dominate). */
  readonly standinBackoff?: Partial<KubeletBackoff>;
  /** Namespace prefix; default `khae2e`. */
  readonly prefix?: string;
  /** Extra kubeadm-ha-coordinator flags, e.g. `['--lb-apply-timeout', '20s']`. */
  readonly coordinatorArgs?: readonly string[];
}

export interface CtlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const REAL_IN_NAMESPACE = new Set(['ip', 'ss', 'nft']);

export class E2eCluster {
  readonly vip: string;
  readonly clusterName: string;
  readonly standins = new Map<string, KubeletStandin>();
  readonly agents = new Map<string, LabProcess>();
  coordinator: LabProcess | undefined;
  agentConfig = '';
  private stubBin = '';

  private constructor(
    readonly lab: Lab,
    readonly options: E2eClusterOptions,
  ) {
    this.vip = options.vip ?? DEFAULT_VIP;
    this.clusterName = options.clusterName ?? 'e2e';
  }

  /** Creates the namespaces only; the caller must destroy() even when a later step fails. */
  static async create(options: E2eClusterOptions): Promise<E2eCluster> {
    const lab = await createLab({
      name: options.name,
      prefix: options.prefix ?? 'khae2e',
      hosts: options.hosts.map((h) => ({ name: h.name, address: `${h.address}/24` })),
      coordinator: { address: `${COORDINATOR_ADDRESS}/24` },
    });
    const cluster = new E2eCluster(lab, options);
    cluster.prepareStubs();
    return cluster;
  }

  get dir(): string {
    return this.lab.dir;
  }
  get dataDir(): string {
    return join(this.lab.dir, 'coordinator-data');
  }
  get simState(): string {
    return join(this.lab.dir, 'sim-state');
  }
  get specPath(): string {
    return join(this.lab.dir, 'cluster.yaml');
  }
  get adminConf(): string {
    return join(this.dataDir, 'admin.conf');
  }
  get controlPlane(): E2eHost[] {
    return this.options.hosts.filter((h) => h.role === 'control-plane' && !h.unlisted);
  }
  root(host: string): string {
    return this.lab.host(host).root;
  }

  /**
   * Every host stub but the network tools: inside a namespace the real iproute2 shows the real eth0 and VIP, the real
   * ss the real connections to it, and the real nft holds connections in that namespace only.
   */
  private prepareStubs(): void {
    this.stubBin = join(this.lab.dir, 'host-stubs');
    mkdirSync(this.stubBin, { recursive: true });
    for (const name of readdirSync(HOST_STUBS)) if (!REAL_IN_NAMESPACE.has(name)) symlinkSync(join(HOST_STUBS, name), join(this.stubBin, name));
    mkdirSync(this.simState, { recursive: true });
  }

  spec(hosts = this.options.hosts.filter((h) => !h.unlisted)): string {
    const nodes = hosts.map((h) => `    - { name: ${h.name}, address: ${h.address}, role: ${h.role}, interface: eth0 }`).join('\n');
    return `apiVersion: kubeadm-ha.io/v1alpha1
kind: Cluster
metadata:
  name: ${this.clusterName}
spec:
  kubernetes:
    version: ${this.options.kubernetesVersion ?? 'v1.31.4'}
  controlPlaneEndpoint:
    vip: ${this.vip}/24
    port: ${LB_PORT}
    keepalived:
      virtualRouterId: ${this.options.virtualRouterId ?? 51}
${this.options.endpointExtra ?? ''}
  nodes:
${nodes}
${this.options.specExtra ?? ''}
`;
  }

  async startCoordinator(): Promise<void> {
    mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(this.specPath, this.spec());
    const address = `${COORDINATOR_ADDRESS}:${COORDINATOR_PORT}`;
    this.coordinator = this.lab.spawn(
      'coordinator',
      NODE,
      [
        join(REPO_ROOT, 'dist/coordinator/main.js'),
        '--cluster',
        this.clusterName,
        '--data-dir',
        this.dataDir,
        '--listen',
        address,
        '--advertise',
        address,
        '--nats-listen',
        COORDINATOR_ADDRESS,
        '--metrics-listen',
        `${COORDINATOR_ADDRESS}:${METRICS_PORT}`,
        '--log-level',
        'debug',
        ...(this.options.coordinatorArgs ?? []),
      ],
      { name: 'coordinator' },
    );
    await this.waitFor(
      () => this.coordinator!.readLog().includes('admin credentials in'),
      30_000,
      'the coordinator to start',
      () => this.coordinator!.running(),
    );
  }

  /** The coordinator's /metrics as `series{labels}` → value, scraped with curl from its namespace. */
  async scrapeMetrics(): Promise<Map<string, number>> {
    const r = await this.lab.exec('coordinator', 'curl', ['-sf', '--max-time', '5', METRICS_URL], { reject: false, timeoutMs: 10_000 });
    if (r.exitCode !== 0) throw new Error(`GET ${METRICS_URL} failed (curl exit ${r.exitCode}): ${r.stderr}`);
    return new Map(
      r.stdout
        .split('\n')
        .filter((l) => l && !l.startsWith('#'))
        .map((l) => [l.slice(0, l.lastIndexOf(' ')), Number(l.slice(l.lastIndexOf(' ') + 1))] as const),
    );
  }

  /** coordinatorctl, run in the coordinator's namespace (the only place its address is reachable from). */
  async ctl(args: readonly string[], timeoutMs = 300_000): Promise<CtlResult> {
    const needsAdmin = !['validate', 'render', 'plan'].includes(args[0]!);
    // The lab runs real etcd members unless a test turns the simulator's switch off: only then do the gated commands
    // go on with --force (test/support/sim-etcd.ts).
    const argv = withEtcdGateOverride(args, simRunsEtcd({ KUBEADM_SIM_ETCD: 'real', ...this.options.agentEnv }));
    const r = await this.lab.exec('coordinator', NODE, [CLI, ...argv, ...(needsAdmin ? ['--admin-conf', this.adminConf] : [])], { reject: false, timeoutMs });
    return { code: r.exitCode ?? 1, stdout: r.stdout, stderr: r.stderr };
  }

  /**
   * The agent.yaml every host of the lab gets. By default one token for the whole lab: control-plane (the spec decides
   * each deployed node's role; a control-plane token may register either), with a use for every host and re-registration (twice over, plus a margin).
   */
  async createAgentConfig(flags: readonly string[] = ['--role', 'control-plane', '--uses', String(2 * this.options.hosts.length + 10)]): Promise<string> {
    const r = await this.ctl(['token', 'create', '--ttl', '2h', ...flags]);
    if (r.code !== 0) throw new Error(`token create failed: ${r.stderr}`);
    this.agentConfig = r.stdout;
    return r.stdout;
  }

  /** The kubelet stand-in of a control-plane host: it runs whatever static pods the agent writes there. */
  async startStandin(host: string): Promise<KubeletStandin> {
    const existing = this.standins.get(host);
    if (existing) return existing;
    const standin = await startKubeletStandin({ lab: this.lab, host, ...(this.options.standinBackoff ? { backoff: this.options.standinBackoff } : {}) });
    this.standins.set(host, standin);
    return standin;
  }

  agentEnv(host: E2eHost): Record<string, string> {
    const standin = this.standins.get(host.name);
    return {
      PATH: [...(standin ? [standin.binDir] : []), this.stubBin, SIM_BIN_DIR, process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'].join(':'),
      KUBEADM_SIM_ROOT: this.root(host.name),
      KUBEADM_SIM_STATE: this.simState,
      KUBEADM_SIM_APISERVER: 'spawn',
      // Joins fetch cluster-info through the VIP and haproxy, as real kubeadm does: a broken LB fails the join.
      KUBEADM_SIM_DISCOVERY: 'network',
      // etcd runs for real under each control-plane host's kubelet stand-in: joins add members, resets remove them.
      KUBEADM_SIM_ETCD: 'real',
      KUBEADM_SIM_KEY_ALGORITHM: 'ECDSA-P256',
      KHA_STUB_ADDRESS: host.address,
      ...(this.options.kubernetesVersion ? { KUBEADM_SIM_VERSION: this.options.kubernetesVersion } : {}),
      HOME: this.root(host.name),
      ...this.options.agentEnv,
    };
  }

  writeAgentConfig(host: E2eHost): string {
    const root = this.root(host.name);
    mkdirSync(join(root, 'etc/kubeadm-ha'), { recursive: true });
    mkdirSync(join(root, 'run/containerd'), { recursive: true });
    writeFileSync(join(root, 'run/containerd/containerd.sock'), '');
    writeFileSync(join(root, 'etc/hostname'), `${host.name}\n`);
    const configPath = join(root, 'etc/kubeadm-ha/agent.yaml');
    writeFileSync(configPath, `${this.agentConfig}nodeName: ${host.name}\nstateDir: ${join(root, 'var/lib/kubeadm-ha')}\n`, { mode: 0o600 });
    return configPath;
  }

  /**
   * The lab's own copy of the packaged agent: a running executable cannot be overwritten (ETXTBSY), and the packaging
   * build rewrites dist/bin/ in place, so running the original would break anyone's build for as long as this lab runs.
   */
  get packagedAgent(): string {
    const copy = join(this.lab.dir, 'bin', 'kubeadm-ha-agent');
    if (!existsSync(copy)) {
      mkdirSync(join(this.lab.dir, 'bin'), { recursive: true });
      copyFileSync(PACKAGED_AGENT, copy);
    }
    return copy;
  }

  startAgent(host: E2eHost): LabProcess {
    const configPath = this.writeAgentConfig(host);
    const args = ['--config', configPath, '--host-root', this.root(host.name), '--log-level', 'debug'];
    const [cmd, argv] = host.packaged ? [this.packagedAgent, args] : [NODE, [join(REPO_ROOT, 'dist/agent/main.js'), ...args]];
    const agent = this.lab.spawn(host.name, cmd, argv, { name: 'agent', env: this.agentEnv(host) });
    this.agents.set(host.name, agent);
    return agent;
  }

  /** What the kernel runs as `host`'s agent process (`/proc/<pid>/exe`): node, or the packaged executable. */
  async agentExecutable(host: string): Promise<string> {
    const agent = this.agents.get(host);
    const pid = await agent?.mainPid();
    if (pid === undefined) throw new Error(`${host} has no running agent`);
    return readlinkSync(`/proc/${pid}/exe`);
  }

  /** Coordinator, agent config, stand-ins on the control-plane hosts, agents on the listed hosts. */
  async bringUp(): Promise<void> {
    await this.startCoordinator();
    await this.createAgentConfig();
    for (const h of this.controlPlane) await this.startStandin(h.name);
    for (const h of this.options.hosts.filter((x) => !x.unlisted)) this.startAgent(h);
  }

  async deploy(): Promise<CtlResult> {
    return this.ctl(['deploy', '-f', this.specPath], 600_000);
  }

  /** GET https://VIP:8443/healthz from a host namespace. */
  healthz(from: string, timeoutMs = 1000) {
    return httpGetFrom(this.lab, from, `https://${this.vip}:${LB_PORT}/healthz`, { timeoutMs });
  }

  /** haproxy's view of its backends on `host` through its admin socket (real haproxy, runtime API): name → state. */
  async backendStates(host: string): Promise<Record<string, string>> {
    const runtime = new HaproxyRuntime(join(this.root(host), HAPROXY_ADMIN_SOCKET));
    const servers = await runtime.showServersState(HAPROXY_BACKEND);
    return Object.fromEntries(servers.map((s) => [s.name, s.admin !== 'ready' ? s.admin.toUpperCase() : SERVER_STATE[s.operational]]));
  }

  async waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string, alive: () => boolean = () => true): Promise<number> {
    const start = Date.now();
    for (;;) {
      try {
        if (await check()) return Date.now() - start;
      } catch {
        // not there yet
      }
      if (!alive()) throw new Error(`gave up waiting for ${what}: the process exited`);
      if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await sleep(50);
    }
  }

  logs(): string {
    return join(this.lab.dir, 'logs');
  }

  async destroy(): Promise<void> {
    // Agents first (so nothing rewrites files), then the lab: stand-ins stop their daemons in its destroy hooks.
    await Promise.all([...this.agents.values()].map((a) => a.stop({ graceMs: 3000 })));
    killSimApiservers(this.options.hosts.map((h) => this.lab.host(h.name).root));
    await this.lab.destroy();
  }
}
