/**
 * The simulated hosts of the deploy benchmark: one process holds a hundred hosts, so no host operation may start a
 * process. Each agent gets a FleetHostOps: its files are real (under the host's own temporary root, through
 * LocalHostOps), and its commands are answered here, in-process, from one model of the cluster (the Fleet).
 *
 * What is real, what is simulated:
 * - Real: every file the agent writes and reads; TLS everywhere the agent or kubeadm's discovery connects (PKI signed
 *   here, ECDSA P-256 for speed where kubeadm defaults to RSA-2048); the stand-in kube-apiserver of the kubeadm
 *   simulator (test/kubeadm-sim/apiserver.ts, in-process, HTTPS /healthz on ADDRESS:6443); one real haproxy process
 *   per control-plane node once its kubeadm has "started the kubelet", run from the haproxy.cfg its agent wrote (binds
 *   and socket paths moved under the host's root, as test/integration/membership.test.ts does), so the agent's
 *   runtime-API calls and `haproxy -c` are real.
 * - Simulated:
 *   - kubeadm init and join: a scripted duration each, spent while the work below happens. They check what real kubeadm checks that
 *     the coordinator can get wrong: the config file it was given, the bootstrap token (known, not deleted), the CA pin,
 *     for a control-plane join the certificate key of the uploaded kubeadm-certs, and discovery (HTTPS /healthz through
 *     the controlPlaneEndpoint, verified against the cluster CA, so through the VIP and haproxy). They write
 *     kubeadm's certificates, kubeconfigs and kubelet files, and register a Ready Node.
 *   - kubeadm token create/delete, init phase upload-certs and certs check-expiration (the table is computed from the
 *     certificates on the host) answer at once.
 *   - kubectl get node and delete secret answer from the model, at once.
 *   - keepalived: the first control-plane node whose LB started holds the VIP; `ip addr` shows it there, and an
 *     in-process TCP forwarder on VIP:port passes each connection to that node's haproxy.
 *   - etcd: an in-process HTTPS server per control-plane node (its etcd server certificate, client certificates
 *     required) that answers the three calls of the agent's EtcdStatus (member list, status, alarms) from the model.
 *   - preflight and facts (modprobe, sysctl, swapoff, timedatectl, ss, nft, ip, hostname, uname, ...): fixed answers
 *     of a clean host, at once. The VRRP listen is the agent's own sleep and stays real.
 * Anything else a deploy would run is answered `not simulated` (exit 127) and listed by `unsimulated`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer, request, type Server as HttpsServer } from 'node:https';
import { createConnection, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseAllDocuments } from 'yaml';
import { LocalHostOps, tail, type ExecOptions, type ExecResult } from '../../agent/hostops.js';
import { CommandError } from '../../core/errors.js';
import { redactArgv, redactSecrets } from '../../core/redact.js';
import { silentLogger } from '../../lib/log.js';
import { startStandInApiserver, type StandInApiserver } from '../kubeadm-sim/apiserver.js';
import { initDoneText, joinCommand, flatJoinCommand, JOIN_WORKER_DONE, joinControlPlaneDoneText } from '../kubeadm-sim/output.js';
import { caCertHash, createCA, signLeaf, type CertAndKey, type LeafRequest } from '../kubeadm-sim/pki.js';
import { renderKubeconfig } from '../kubeadm-sim/render.js';
import { HAPROXY_BINARY } from './haproxy-testbed.js';

export interface FleetHost {
  readonly name: string;
  readonly address: string;
  readonly role: 'control-plane' | 'worker';
}

export interface FleetOptions {
  /** Scripted kubeadm durations. */
  readonly initMs: number;
  readonly controlPlaneJoinMs: number;
  readonly workerJoinMs: number;
  /** The VIP with its prefix length (`127.0.0.100/8`), and the load balancer's port on it. */
  readonly vip: string;
  readonly lbPort: number;
  readonly apiserverPort: number;
  readonly kubernetesVersion: string;
  /** Where the haproxy logs go. */
  readonly logDir: string;
}

/**
 * What a simulated host asks of the cluster model: the Fleet itself in its process, or (deploy-agents.ts) a proxy that
 * forwards over IPC to the process holding it. A failed command rejects with a FleetFailure (its exit code).
 */
export interface FleetModel {
  readonly vip: string;
  readonly kubernetesVersion: string;
  kubeadm(host: FleetHost, root: string, args: readonly string[]): Promise<string>;
  kubectl(host: FleetHost, root: string, args: readonly string[]): Promise<string>;
  holdsVip(host: string): boolean;
  /** The preflight VRRP probe went in (`start`) or was first read (`read`) on `host`, at `at` (epoch ms). */
  noteVrrpListen(host: string, event: 'start' | 'read', at: number): void;
  /** A command nothing answered. */
  noteUnsimulated(line: string): void;
}

/** One kubeadm run, as the simulator's invocation log records it. */
export interface FleetInvocation {
  readonly host: string;
  readonly argv: readonly string[];
  readonly start: number;
  readonly end: number;
  readonly exitCode: number;
}

/** The event loop's cumulative idle and active time (ms) at `at` (epoch ms). */
export interface LoopSample {
  readonly at: number;
  readonly idle: number;
  readonly active: number;
}

/** How busy a process's event loop was over [from, to], 0..1, from its samples. */
export function loopBusy(samples: readonly LoopSample[], from: number, to: number): number {
  if (samples.length < 2) return 0;
  const first = samples.findLast((s) => s.at <= from) ?? samples[0]!;
  const last = samples.find((s) => s.at >= to) ?? samples.at(-1)!;
  const active = last.active - first.active;
  const total = active + last.idle - first.idle;
  return total > 0 ? active / total : 0;
}

/** Samples this process's event-loop utilisation, so any window can be asked later how busy the process was. */
export class LoopSampler {
  readonly samples: LoopSample[] = [];
  private readonly timer: NodeJS.Timeout;
  constructor(everyMs = 50) {
    this.take();
    this.timer = setInterval(() => this.take(), everyMs);
    this.timer.unref();
  }
  private take(): void {
    const { idle, active } = performance.eventLoopUtilization();
    this.samples.push({ at: Date.now(), idle, active });
  }
  stop(): void {
    clearInterval(this.timer);
    this.take();
  }
  busy(from: number, to: number): number {
    this.take();
    return loopBusy(this.samples, from, to);
  }
}

/** A file kubeadm writes: host path, content, mode. */
type HostFile = [string, string, number];

/** What kubeadm would generate, signed before the deploy (Fleet.prepare). */
interface Pki {
  readonly ca: CertAndKey;
  readonly etcdCa: CertAndKey;
  readonly frontProxyCa: CertAndKey;
  readonly caHash: string;
  /** Per host: a control-plane node's certificates, kubeconfigs and kubelet files; a worker's kubelet files. */
  readonly hosts: ReadonlyMap<string, HostFile[]>;
  /** Per control-plane host: super-admin.conf, which only init writes. */
  readonly superAdmin: ReadonlyMap<string, HostFile[]>;
  /** The SANs in every apiserver certificate (the names and addresses of all control-plane nodes among them). */
  readonly apiserverSans: readonly string[];
}

interface ControlPlaneServices {
  apiserver?: StandInApiserver;
  etcd?: HttpsServer;
  haproxy?: ChildProcess;
}

export class FleetFailure extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

const ALG = 'ECDSA-P256';
const KUBELET_CLIENT_CERT = '/var/lib/kubelet/pki/kubelet-client-current.pem';
const PKI = '/etc/kubernetes/pki';
const DISCOVERY_RETRY_MS = 1_000;
const DISCOVERY_TIMEOUT_MS = 30_000;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** Go's "Jan 02, 2006 15:04 MST" in UTC, as certs check-expiration prints it. */
function expires(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${p(d.getUTCDate())}, ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())} UTC`;
}

function randomToken(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const pick = (n: number) => Array.from({ length: n }, () => alphabet[randomInt(alphabet.length)]).join('');
  return `${pick(6)}.${pick(16)}`;
}

/** A member id as etcd's gateway sends it: a uint64 in decimal, below 2^63. */
function memberId(): string {
  return (BigInt(`0x${randomBytes(8).toString('hex')}`) & 0x7fffffffffffffffn).toString(10);
}

/** The kubeadm documents of a config file, by kind. */
function kubeadmDocuments(text: string): Map<string, Record<string, unknown>> {
  const docs = new Map<string, Record<string, unknown>>();
  for (const doc of parseAllDocuments(text)) {
    const value = doc.toJS() as Record<string, unknown> | null;
    if (value && typeof value.kind === 'string') docs.set(value.kind, value);
  }
  return docs;
}

const get = (o: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), o);

/** The model every simulated host answers from: the cluster's PKI, tokens, Nodes, etcd members, LB and VIP. */
export class Fleet implements FleetModel {
  readonly invocations: FleetInvocation[] = [];
  /** Each control-plane host's preflight VRRP listen: from the probe going in to its first read (the agent's own sleep). */
  readonly vrrpListens = new Map<string, { start: number; end?: number }>();
  /** Commands a host was asked to run that nothing here answers: a deploy that needs one is not measured faithfully. */
  readonly unsimulated = new Set<string>();
  private prepared: Pki | undefined;
  /** kubeadm init has run. */
  private initialised = false;
  private readonly tokens = new Set<string>();
  /** The kubeadm-certs Secret: the key it is encrypted with, while it exists. */
  private certificateKey: string | undefined;
  private readonly nodes = new Map<string, { role: FleetHost['role']; ready: boolean }>();
  private readonly members: { id: string; name: string; address: string }[] = [];
  private readonly clusterId = memberId();
  private readonly services = new Map<string, ControlPlaneServices>();
  private vipHolder: FleetHost | undefined;
  private vipServer: Server | undefined;
  /** The model's own view of each host's files (the same directories the agents' HostOps use). */
  private readonly files = new Map<string, LocalHostOps>();
  /** Told whenever the VIP moves (agent processes keep `holdsVip` synchronous). */
  onVipMoved: (holder: string | undefined) => void = () => undefined;

  constructor(readonly options: FleetOptions) {}

  get vip(): string {
    return this.options.vip;
  }

  get kubernetesVersion(): string {
    return this.options.kubernetesVersion;
  }

  noteVrrpListen(host: string, event: 'start' | 'read', at: number): void {
    if (event === 'start') this.vrrpListens.set(host, { start: at });
    else {
      const listen = this.vrrpListens.get(host);
      if (listen && listen.end === undefined) listen.end = at;
    }
  }

  noteUnsimulated(line: string): void {
    this.unsimulated.add(line);
  }

  private opsFor(root: string): LocalHostOps {
    const known = this.files.get(root);
    if (known) return known;
    const ops = new LocalHostOps(root, silentLogger);
    this.files.set(root, ops);
    return ops;
  }

  /** controlPlaneEndpoint: the VIP and the load balancer's port. */
  get endpoint(): string {
    return `${this.vipAddress}:${this.options.lbPort}`;
  }

  get vipAddress(): string {
    return this.options.vip.split('/')[0]!;
  }

  holdsVip(host: string): boolean {
    return this.vipHolder?.name === host;
  }

  /** Whether real haproxy processes carry the VIP's traffic (haproxy is installed). */
  get realHaproxy(): boolean {
    return HAPROXY_BINARY !== undefined;
  }

  async close(): Promise<void> {
    this.vipServer?.close();
    this.vipServer?.unref();
    for (const s of this.services.values()) {
      await s.apiserver?.close();
      s.etcd?.close();
      s.etcd?.closeAllConnections();
      if (s.haproxy && s.haproxy.exitCode === null) {
        const exited = new Promise((r) => s.haproxy!.once('exit', r));
        s.haproxy.kill('SIGTERM');
        await exited;
      }
    }
  }

  // ---- kubeadm ----

  async kubeadm(host: FleetHost, root: string, args: readonly string[]): Promise<string> {
    const ops = this.opsFor(root);
    const line = args.join(' ');
    if (line === 'version -o short') return `${this.options.kubernetesVersion}\n`;
    const config = () => {
      const at = args.indexOf('--config');
      if (at < 0) throw new FleetFailure(`bench host: kubeadm ${args[0]} without --config is not simulated`);
      return ops.readFile(args[at + 1]!).then((text) => {
        if (text === undefined) throw new FleetFailure(`unable to read config from "${args[at + 1]}" : open ${args[at + 1]}: no such file or directory`);
        return kubeadmDocuments(text);
      });
    };
    if (args[0] === 'init' && args[1] !== 'phase') return this.timed(host, args, () => this.init(host, ops, config, args.includes('--upload-certs')));
    if (args[0] === 'join') return this.timed(host, args, () => this.join(host, ops, config));
    if (line.startsWith('init phase upload-certs')) {
      const key = get((await config()).get('InitConfiguration'), 'certificateKey');
      if (typeof key !== 'string' || !/^[a-f0-9]{64}$/.test(key)) throw new FleetFailure('bench host: upload-certs needs InitConfiguration.certificateKey');
      this.requireCluster(ops);
      this.certificateKey = key;
      return '[upload-certs] Storing the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace\n';
    }
    if (line.startsWith('token create --print-join-command')) {
      const docs = await config();
      this.requireCluster(ops);
      const token = randomToken();
      this.tokens.add(token);
      const endpoint = String(get(docs.get('ClusterConfiguration'), 'controlPlaneEndpoint'));
      return `${flatJoinCommand(joinCommand(endpoint, token, [this.pki().caHash], false, ''))}\n`;
    }
    if (args[0] === 'token' && args[1] === 'delete' && args[2]) {
      this.requireCluster(ops);
      for (const t of this.tokens) if (t.startsWith(`${args[2]}.`)) this.tokens.delete(t);
      return `bootstrap token "${args[2]}" deleted\n`;
    }
    if (line === 'certs check-expiration') return this.checkExpiration(ops);
    throw new FleetFailure(`bench host: "kubeadm ${line}" is not simulated`, 127);
  }

  /** Runs one init or join and records it as the simulator's invocation log would. */
  private async timed(host: FleetHost, argv: readonly string[], work: () => Promise<string>): Promise<string> {
    const start = Date.now();
    let exitCode = 0;
    try {
      return await work();
    } catch (err) {
      exitCode = err instanceof FleetFailure ? err.exitCode : 1;
      throw err;
    } finally {
      this.invocations.push({ host: host.name, argv: [...argv], start, end: Date.now(), exitCode });
    }
  }

  private requireCluster(ops: LocalHostOps): void {
    if (!this.initialised) throw new FleetFailure('bench host: there is no cluster yet (kubeadm init has not run)');
    if (!existsSync(join(ops.root, 'etc/kubernetes/admin.conf'))) {
      throw new FleetFailure('failed to load admin kubeconfig: open /etc/kubernetes/admin.conf: no such file or directory');
    }
  }

  private pki(): Pki {
    if (!this.prepared) throw new Error('bench host: Fleet.prepare() has not run');
    return this.prepared;
  }

  private checkEndpoint(endpoint: string): void {
    if (endpoint !== this.endpoint) throw new FleetFailure(`bench host: the controlPlaneEndpoint is ${endpoint}, the simulated cluster has ${this.endpoint}`);
  }

  private async init(host: FleetHost, ops: LocalHostOps, config: () => Promise<Map<string, Record<string, unknown>>>, uploadCerts: boolean): Promise<string> {
    const started = Date.now();
    const docs = await config();
    if (this.initialised) throw new FleetFailure('bench host: the cluster was initialised already');
    const name = String(get(docs.get('InitConfiguration'), 'nodeRegistration', 'name') ?? host.name);
    if (name !== host.name) throw new FleetFailure(`bench host: InitConfiguration names node ${name}, this host is ${host.name}`);
    const endpoint = String(get(docs.get('ClusterConfiguration'), 'controlPlaneEndpoint') ?? '');
    this.checkEndpoint(endpoint);
    const sans = (get(docs.get('ClusterConfiguration'), 'apiServer', 'certSANs') as string[] | undefined) ?? [];
    const missing = sans.filter((s) => !this.pki().apiserverSans.includes(s));
    if (missing.length > 0) throw new FleetFailure(`bench host: certSANs ${missing.join(', ')} are not in the prepared apiserver certificate`);
    this.initialised = true;
    await this.writeFiles(ops, [...this.caFiles(true), ...this.pki().hosts.get(host.name)!, ...this.pki().superAdmin.get(host.name)!]);
    this.members.push({ id: memberId(), name: host.name, address: host.address });
    await this.startControlPlane(host, ops);
    const key = get(docs.get('InitConfiguration'), 'certificateKey');
    if (typeof key === 'string' && key) this.certificateKey = key;
    else if (uploadCerts) this.certificateKey = randomBytes(32).toString('hex');
    const token = randomToken();
    this.tokens.add(token);
    this.nodes.set(host.name, { role: 'control-plane', ready: true });
    await sleep(Math.max(0, this.options.initMs - (Date.now() - started)));
    const hash = this.pki().caHash;
    return initDoneText({
      kubeConfigPath: '/etc/kubernetes/admin.conf',
      controlPlaneEndpoint: endpoint,
      uploadCerts: this.certificateKey !== undefined,
      joinControlPlaneCommand: joinCommand(endpoint, token, [hash], true, this.certificateKey ?? ''),
      joinWorkerCommand: joinCommand(endpoint, token, [hash], false, ''),
    });
  }

  private async join(host: FleetHost, ops: LocalHostOps, config: () => Promise<Map<string, Record<string, unknown>>>): Promise<string> {
    const started = Date.now();
    const join = (await config()).get('JoinConfiguration');
    const name = String(get(join, 'nodeRegistration', 'name') ?? host.name);
    if (name !== host.name) throw new FleetFailure(`bench host: JoinConfiguration names node ${name}, this host is ${host.name}`);
    if (!this.initialised) throw new FleetFailure('bench host: there is no cluster to join');
    const endpoint = String(get(join, 'discovery', 'bootstrapToken', 'apiServerEndpoint') ?? '');
    const token = String(get(join, 'discovery', 'bootstrapToken', 'token') ?? '');
    const hashes = (get(join, 'discovery', 'bootstrapToken', 'caCertHashes') as string[] | undefined) ?? [];
    const controlPlane = get(join, 'controlPlane') !== undefined && get(join, 'controlPlane') !== null;
    if (controlPlane !== (host.role === 'control-plane')) {
      throw new FleetFailure(`bench host: a ${controlPlane ? 'control-plane' : 'worker'} join on ${host.role} ${host.name}`);
    }
    // Discovery: the endpoint must really answer with a certificate of this CA, as kubeadm's token discovery needs.
    await this.discover(endpoint);
    this.checkEndpoint(endpoint);
    if (!this.tokens.has(token)) {
      throw new FleetFailure(
        `error execution phase preflight: couldn't validate the identity of the API Server: could not find a JWS signature in the cluster-info ConfigMap for token ID "${token.split('.')[0]}"`,
      );
    }
    const pin = this.pki().caHash;
    if (!hashes.includes(pin)) {
      throw new FleetFailure(
        `error execution phase preflight: couldn't validate the identity of the API Server: cluster CA found in cluster-info ConfigMap is invalid: none of the public keys "${pin}" are pinned`,
      );
    }
    if (await ops.exists('/etc/kubernetes/kubelet.conf')) {
      throw new FleetFailure(
        'error execution phase preflight: [preflight] Some fatal errors occurred:\n\t[ERROR FileAvailable--etc-kubernetes-kubelet.conf]: /etc/kubernetes/kubelet.conf already exists',
      );
    }
    let done: string;
    if (controlPlane) {
      const key = String(get(join, 'controlPlane', 'certificateKey') ?? '');
      if (this.certificateKey === undefined) {
        throw new FleetFailure(
          'error execution phase control-plane-prepare/download-certs: error downloading certs: error downloading the secret: Secret "kubeadm-certs" was not found in the "kube-system" Namespace. This Secret might have expired. Please, run `kubeadm init phase upload-certs --upload-certs` on a control plane to generate a new one',
        );
      }
      if (key !== this.certificateKey) {
        throw new FleetFailure(
          'error execution phase control-plane-prepare/download-certs: error downloading certs: error decoding secret data with provided key: cipher: message authentication failed',
        );
      }
      await this.writeFiles(ops, [...this.caFiles(true), ...this.pki().hosts.get(host.name)!]);
      // kubeadm adds the member as a learner and promotes it before the join returns.
      this.members.push({ id: memberId(), name: host.name, address: host.address });
      await this.startControlPlane(host, ops);
      done = joinControlPlaneDoneText('/etc/kubernetes/admin.conf', true);
    } else {
      await this.writeFiles(ops, [...this.caFiles(false), ...this.pki().hosts.get(host.name)!]);
      done = JOIN_WORKER_DONE;
    }
    await sleep(Math.max(0, (controlPlane ? this.options.controlPlaneJoinMs : this.options.workerJoinMs) - (Date.now() - started)));
    this.nodes.set(host.name, { role: host.role, ready: true });
    return done;
  }

  /** GET /healthz through `endpoint`, verified against the cluster CA; retried as kubeadm's discovery retries. */
  private async discover(endpoint: string): Promise<void> {
    const [address, port] = [endpoint.slice(0, endpoint.lastIndexOf(':')), Number(endpoint.slice(endpoint.lastIndexOf(':') + 1))];
    const until = Date.now() + DISCOVERY_TIMEOUT_MS;
    for (;;) {
      try {
        const status = await new Promise<number>((resolve, reject) => {
          const req = request({ host: address, port, path: '/healthz', ca: this.pki().ca.certPem, agent: false, timeout: 5_000 }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          });
          req.on('timeout', () => req.destroy(new Error('timeout')));
          req.on('error', reject);
          req.end();
        });
        if (status === 200) return;
        throw new Error(`HTTP ${status}`);
      } catch (err) {
        if (Date.now() > until) {
          throw new FleetFailure(
            `error execution phase preflight: couldn't validate the identity of the API Server: Get "https://${endpoint}/healthz": ${(err as Error).message}`,
          );
        }
        await sleep(DISCOVERY_RETRY_MS);
      }
    }
  }

  private caFiles(withKeys: boolean): HostFile[] {
    const { ca, etcdCa, frontProxyCa } = this.pki();
    const files: HostFile[] = [[`${PKI}/ca.crt`, ca.certPem, 0o644]];
    if (withKeys) {
      files.push(
        [`${PKI}/ca.key`, ca.keyPem, 0o600],
        [`${PKI}/etcd/ca.crt`, etcdCa.certPem, 0o644],
        [`${PKI}/etcd/ca.key`, etcdCa.keyPem, 0o600],
        [`${PKI}/front-proxy-ca.crt`, frontProxyCa.certPem, 0o644],
        [`${PKI}/front-proxy-ca.key`, frontProxyCa.keyPem, 0o600],
      );
    }
    return files;
  }

  private async writeFiles(ops: LocalHostOps, files: readonly HostFile[]): Promise<void> {
    await Promise.all(files.map(([path, content, mode]) => ops.writeFile(path, content, mode)));
  }

  /**
   * Everything kubeadm would generate for these hosts, signed before the deploy so that no signing happens while it
   * is measured (kubeadm's key generation and signing is host CPU, not the coordinator's): the CAs, each control-plane
   * node's certificates and kubeconfigs, each node's kubelet client certificate and kubelet.conf.
   */
  async prepare(hosts: readonly FleetHost[]): Promise<void> {
    const now = Date.now();
    const [ca, etcdCa, frontProxyCa] = await Promise.all([
      createCA('kubernetes', ALG, now),
      createCA('etcd-ca', ALG, now),
      createCA('front-proxy-ca', ALG, now),
    ]);
    const server = `https://${this.endpoint}`;
    const pair = async (base: string, signer: CertAndKey, req: LeafRequest): Promise<HostFile[]> => {
      const p = await signLeaf(signer, req, ALG, now);
      return [
        [`${PKI}/${base}.crt`, p.certPem, 0o644],
        [`${PKI}/${base}.key`, p.keyPem, 0o600],
      ];
    };
    const kubeconfig = async (file: string, url: string, user: string, organizations: string[] = []): Promise<HostFile[]> => {
      const p = await signLeaf(ca, { commonName: user, organizations, usages: ['client'] }, ALG, now);
      return [
        [
          `/etc/kubernetes/${file}`,
          renderKubeconfig({ clusterName: 'kubernetes', server: url, caPem: ca.certPem, userName: user, clientCertPem: p.certPem, clientKeyPem: p.keyPem }),
          0o600,
        ],
      ];
    };
    const kubelet = async (host: FleetHost): Promise<HostFile[]> => {
      const p = await signLeaf(ca, { commonName: `system:node:${host.name}`, organizations: ['system:nodes'], usages: ['client'] }, ALG, now);
      const conf = renderKubeconfig({
        clusterName: 'kubernetes',
        server,
        caPem: ca.certPem,
        userName: 'default-auth',
        clusterEntryName: 'default-cluster',
        contextName: 'default-context',
        clientCertFile: KUBELET_CLIENT_CERT,
        clientKeyFile: KUBELET_CLIENT_CERT,
      });
      return [
        [KUBELET_CLIENT_CERT, `${p.certPem}${p.keyPem}`, 0o600],
        ['/etc/kubernetes/kubelet.conf', conf, 0o600],
      ];
    };
    // kubeadm puts ClusterConfiguration.apiServer.certSANs (the coordinator lists the VIP, every control-plane node,
    // loopback) into every control-plane node's apiserver certificate, next to its own names.
    const cp = hosts.filter((h) => h.role === 'control-plane');
    const apiserverIps = [...new Set(['10.96.0.1', this.vipAddress, '127.0.0.1', ...cp.map((h) => h.address)])];
    const apiserverNames = (host: FleetHost) => [
      ...new Set([
        host.name,
        'kubernetes',
        'kubernetes.default',
        'kubernetes.default.svc',
        'kubernetes.default.svc.cluster.local',
        'localhost',
        ...cp.map((h) => h.name),
      ]),
    ];
    const controlPlane = async (host: FleetHost): Promise<HostFile[]> => {
      const ip = host.address;
      const own = `https://${ip}:${this.options.apiserverPort}`;
      const etcdNames = {
        commonName: host.name,
        dnsNames: [host.name, 'localhost'],
        ips: [ip, '127.0.0.1', '::1'],
        usages: ['server', 'client'] as ('server' | 'client')[],
      };
      const parts = await Promise.all([
        pair('apiserver', ca, {
          commonName: 'kube-apiserver',
          dnsNames: apiserverNames(host),
          ips: apiserverIps,
          usages: ['server'],
        }),
        pair('apiserver-kubelet-client', ca, { commonName: 'kube-apiserver-kubelet-client', organizations: ['kubeadm:cluster-admins'], usages: ['client'] }),
        pair('apiserver-etcd-client', etcdCa, { commonName: 'kube-apiserver-etcd-client', usages: ['client'] }),
        pair('front-proxy-client', frontProxyCa, { commonName: 'front-proxy-client', usages: ['client'] }),
        pair('etcd/server', etcdCa, etcdNames),
        pair('etcd/peer', etcdCa, etcdNames),
        pair('etcd/healthcheck-client', etcdCa, { commonName: 'kube-etcd-healthcheck-client', usages: ['client'] }),
        kubeconfig('admin.conf', server, 'kubernetes-admin', ['kubeadm:cluster-admins']),
        kubeconfig('controller-manager.conf', own, 'system:kube-controller-manager'),
        kubeconfig('scheduler.conf', own, 'system:kube-scheduler'),
        kubelet(host),
      ]);
      return parts.flat();
    };
    const hostFiles = new Map<string, HostFile[]>();
    const superAdmin = new Map<string, HostFile[]>();
    await Promise.all(
      hosts.map(async (h) => {
        hostFiles.set(h.name, h.role === 'control-plane' ? await controlPlane(h) : await kubelet(h));
        if (h.role === 'control-plane') {
          superAdmin.set(
            h.name,
            await kubeconfig('super-admin.conf', `https://${h.address}:${this.options.apiserverPort}`, 'kubernetes-super-admin', ['system:masters']),
          );
        }
      }),
    );
    this.prepared = {
      ca,
      etcdCa,
      frontProxyCa,
      caHash: caCertHash(ca.certPem),
      hosts: hostFiles,
      superAdmin,
      apiserverSans: [...apiserverIps, ...apiserverNames(cp[0]!)],
    };
  }

  /** What the kubelet would start from the static Pods: the apiserver, etcd, and (keepalived-haproxy) the LB. */
  private async startControlPlane(host: FleetHost, ops: LocalHostOps): Promise<void> {
    const s: ControlPlaneServices = {};
    this.services.set(host.name, s);
    const read = (p: string) => readFileSync(join(ops.root, p), 'utf8');
    s.apiserver = await startStandInApiserver({
      address: host.address,
      port: this.options.apiserverPort,
      certPem: read(`${PKI}/apiserver.crt`),
      keyPem: read(`${PKI}/apiserver.key`),
      gitVersion: this.options.kubernetesVersion,
    });
    s.etcd = await this.startEtcd(host, read(`${PKI}/etcd/server.crt`), read(`${PKI}/etcd/server.key`));
    if (existsSync(join(ops.root, 'etc/haproxy/haproxy.cfg'))) {
      if (HAPROXY_BINARY) s.haproxy = await this.startHaproxy(host, ops.root);
      if (!this.vipHolder) await this.takeVip(host);
    }
  }

  /** haproxy from the agent's own file, binds and sockets moved under this host (several share loopback). */
  private async startHaproxy(host: FleetHost, root: string): Promise<ChildProcess> {
    const runDir = join(root, 'run/haproxy');
    mkdirSync(runDir, { recursive: true });
    const cfg = readFileSync(join(root, 'etc/haproxy/haproxy.cfg'), 'utf8')
      .replaceAll('/run/haproxy/', `${runDir}/`)
      .replace(/^(\s*bind\s+)\*:(\d+)/m, `$1${host.address}:$2`)
      .replace(/^(\s*bind\s+)127\.0\.0\.1:(\d+)/m, `$1${host.address}:$2`);
    const runtimeCfg = join(runDir, 'runtime.cfg');
    writeFileSync(runtimeCfg, cfg);
    const child = spawn(HAPROXY_BINARY!, ['-W', '-S', join(runDir, 'master.sock'), '-f', runtimeCfg], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (chunk: Buffer) => writeFileSync(join(this.options.logDir, `haproxy-${host.name}.log`), chunk, { flag: 'a' }));
    const until = Date.now() + 10_000;
    while (!existsSync(join(runDir, 'admin.sock'))) {
      if (child.exitCode !== null || Date.now() > until)
        throw new FleetFailure(`bench host: haproxy on ${host.name} did not start (see haproxy-${host.name}.log)`);
      await sleep(20);
    }
    return child;
  }

  /** keepalived, simulated: this node holds the VIP; VIP:lbPort forwards each connection to its haproxy. */
  private async takeVip(host: FleetHost): Promise<void> {
    this.vipHolder = host;
    this.onVipMoved(host.name);
    if (this.vipServer) return;
    const server = createServer((client) => {
      const holder = this.vipHolder;
      const port = HAPROXY_BINARY ? this.options.lbPort : this.options.apiserverPort;
      if (!holder) return client.destroy();
      const upstream = createConnection({ host: holder.address, port });
      client.pipe(upstream).pipe(client);
      const close = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', close);
      upstream.on('error', close);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.lbPort, this.vipAddress, () => resolve());
    });
    this.vipServer = server;
  }

  /** etcd's JSON gateway, the three read-only calls of EtcdStatus, answered from the member model. */
  private async startEtcd(host: FleetHost, certPem: string, keyPem: string): Promise<HttpsServer> {
    const header = (self: string) => ({ cluster_id: this.clusterId, member_id: self, revision: '42', raft_term: '2' });
    const server = createHttpsServer({ cert: certPem, key: keyPem, ca: this.pki().etcdCa.certPem, requestCert: true, rejectUnauthorized: true }, (req, res) => {
      req.resume();
      req.on('end', () => {
        const self = this.members.find((m) => m.name === host.name)?.id ?? '0';
        const reply = (status: number, body: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        switch (req.url) {
          case '/v3/cluster/member/list':
            return reply(200, {
              header: header(self),
              members: this.members.map((m) => ({
                ID: m.id,
                name: m.name,
                peerURLs: [`https://${m.address}:2380`],
                clientURLs: [`https://${m.address}:2379`],
              })),
            });
          case '/v3/maintenance/status':
            return reply(200, {
              header: header(self),
              version: '3.5.15',
              dbSize: '4194304',
              leader: this.members[0]?.id ?? '0',
              raftIndex: '100',
              raftTerm: '2',
              raftAppliedIndex: '100',
              dbSizeInUse: '4194304',
            });
          case '/v3/maintenance/alarm':
            return reply(200, { header: header(self) });
          default:
            return reply(501, { error: `bench host: ${req.url} is not simulated`, code: 12, message: `bench host: ${req.url} is not simulated` });
        }
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(2379, host.address, () => resolve());
    });
    return server;
  }

  /** The table of `kubeadm certs check-expiration`, from the certificates on this host. */
  private async checkExpiration(ops: LocalHostOps): Promise<string> {
    const pki = (base: string) => ops.readFile(`${PKI}/${base}.crt`);
    const embedded = async (file: string) => {
      const text = await ops.readFile(`/etc/kubernetes/${file}`);
      const data = /client-certificate-data:\s*(\S+)/.exec(text ?? '')?.[1];
      return data ? Buffer.from(data, 'base64').toString() : undefined;
    };
    const rows: [string, Promise<string | undefined>, string][] = [
      ['admin.conf', embedded('admin.conf'), 'ca'],
      ['apiserver', pki('apiserver'), 'ca'],
      ['apiserver-etcd-client', pki('apiserver-etcd-client'), 'etcd-ca'],
      ['apiserver-kubelet-client', pki('apiserver-kubelet-client'), 'ca'],
      ['controller-manager.conf', embedded('controller-manager.conf'), 'ca'],
      ['etcd-healthcheck-client', pki('etcd/healthcheck-client'), 'etcd-ca'],
      ['etcd-peer', pki('etcd/peer'), 'etcd-ca'],
      ['etcd-server', pki('etcd/server'), 'etcd-ca'],
      ['front-proxy-client', pki('front-proxy-client'), 'front-proxy-ca'],
      ['scheduler.conf', embedded('scheduler.conf'), 'ca'],
      ['super-admin.conf', embedded('super-admin.conf'), 'ca'],
    ];
    const cas: [string, Promise<string | undefined>][] = [
      ['ca', pki('ca')],
      ['etcd-ca', pki('etcd/ca')],
      ['front-proxy-ca', pki('front-proxy-ca')],
    ];
    const residual = (to: Date) => `${Math.max(0, Math.floor((to.getTime() - Date.now()) / 86_400_000))}d`;
    const pad = (cells: string[], widths: number[]) => cells.map((c, i) => (i < cells.length - 1 ? c.padEnd(Math.max(10, widths[i]! + 3)) : c)).join('');
    const table = (header: string[], body: (string[] | string)[]) => {
      const all = [header, ...body.filter((r): r is string[] => Array.isArray(r))];
      const widths = header.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
      return [pad(header, widths), ...body.map((r) => (Array.isArray(r) ? pad(r, widths) : r))].join('\n');
    };
    const certRows = await Promise.all(
      rows.map(async ([name, pem, ca]) => {
        const text = await pem;
        if (!text) return `!MISSING! ${name}`;
        const to = new Date(new X509Certificate(text).validTo);
        return [name, expires(to), residual(to), ca, 'no'];
      }),
    );
    const caRows = await Promise.all(
      cas.map(async ([name, pem]) => {
        const text = await pem;
        if (!text) return `!MISSING! ${name}`;
        const to = new Date(new X509Certificate(text).validTo);
        return [name, expires(to), residual(to), 'no'];
      }),
    );
    return `${table(['CERTIFICATE', 'EXPIRES', 'RESIDUAL TIME', 'CERTIFICATE AUTHORITY', 'EXTERNALLY MANAGED'], certRows)}\n\n${table(['CERTIFICATE AUTHORITY', 'EXPIRES', 'RESIDUAL TIME', 'EXTERNALLY MANAGED'], caRows)}\n`;
  }

  // ---- kubectl ----

  async kubectl(_host: FleetHost, root: string, args: readonly string[]): Promise<string> {
    this.requireCluster(this.opsFor(root));
    const rest = [...args];
    for (const flag of ['--kubeconfig', '--server']) {
      const at = rest.indexOf(flag);
      if (at >= 0) rest.splice(at, 2);
    }
    const line = rest.join(' ');
    const getNode = /^get node -o json -- (\S+)$/.exec(line);
    if (getNode) {
      const node = this.nodes.get(getNode[1]!);
      if (!node) throw new FleetFailure(`Error from server (NotFound): nodes "${getNode[1]}" not found`);
      return `${JSON.stringify({
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: getNode[1], labels: node.role === 'control-plane' ? { 'node-role.kubernetes.io/control-plane': '' } : {} },
        status: { conditions: [{ type: 'Ready', status: node.ready ? 'True' : 'False', reason: 'KubeletReady', message: 'kubelet is posting ready status' }] },
      })}\n`;
    }
    if (line === '-n kube-system delete secret --ignore-not-found -- kubeadm-certs') {
      const existed = this.certificateKey !== undefined;
      this.certificateKey = undefined;
      return existed ? 'secret "kubeadm-certs" deleted\n' : '';
    }
    throw new FleetFailure(`bench host: "kubectl ${line}" is not simulated`, 127);
  }
}

/** One simulated host: real files under `root`, commands answered by the Fleet. */
export class FleetHostOps extends LocalHostOps {
  constructor(
    private readonly fleet: FleetModel,
    readonly host: FleetHost,
    root: string,
  ) {
    super(root, silentLogger);
  }

  private ipAddrShow(): string {
    const lines = [
      '1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever',
      `2: eth0    inet ${this.host.address}/24 brd 127.0.0.255 scope global eth0\\       valid_lft forever preferred_lft forever`,
    ];
    if (this.fleet.holdsVip(this.host.name)) lines.push(`2: eth0    inet ${this.fleet.vip} scope global eth0\\       valid_lft forever preferred_lft forever`);
    return `${lines.join('\n')}\n`;
  }

  private async answer(command: string, args: readonly string[], options: ExecOptions): Promise<string> {
    const line = args.join(' ');
    switch (command) {
      case 'kubeadm':
        return this.fleet.kubeadm(this.host, this.root, args);
      case 'kubectl':
        return this.fleet.kubectl(this.host, this.root, args);
      case 'haproxy':
        // The configuration check is haproxy's own: run it (a handful per deploy).
        if (args[0] === '-c') {
          const r = await super.exec(command, args, { ...options, allowFailure: true });
          if (r.exitCode !== 0) throw new FleetFailure(r.stderr || r.stdout, r.exitCode);
          return r.stdout;
        }
        break;
      case 'ip':
        if (line === '-o addr show') return this.ipAddrShow();
        if (line === '-o link show')
          return '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen 1000\\    link/ether 02:00:00:00:00:01 brd ff:ff:ff:ff:ff:ff\n';
        if (args[0] === 'maddr') return '';
        break;
      case 'nft':
        if (line === '-f -') {
          this.fleet.noteVrrpListen(this.host.name, 'start', Date.now());
          return '';
        }
        if (args[0] === 'delete') return '';
        // No VIP handover hold was left here (the agent looks at startup).
        if (args[0] === 'list' && args[1] === 'table') throw new FleetFailure(`Error: No such file or directory\nlist table ${args.slice(2).join(' ')}`, 1);
        if (args[0] === '-j' && args[1] === 'list' && args[2] === 'set') {
          this.fleet.noteVrrpListen(this.host.name, 'read', Date.now());
          return `${JSON.stringify({ nftables: [{ metainfo: { json_schema_version: 1 } }, { set: { family: args[3], table: args[4], name: args[5], elem: [] } }] })}\n`;
        }
        break;
      case 'sh':
        if (line === '-c command -v kubelet') return '/usr/bin/kubelet\n';
        break;
      case 'dpkg-query':
        return `kubelet: ${args[1]}\n`;
      case 'kubelet':
        if (line === '--version') return `Kubernetes ${this.fleet.kubernetesVersion}\n`;
        break;
      case 'hostname':
        return `${this.host.name}\n`;
      case 'getent':
        return `${this.host.address}     ${args[1]}\n`;
      case 'uname':
        return '6.1.0-bench-amd64\n';
      case 'timedatectl':
        return 'yes\n';
      case 'ss':
        return '';
      case 'modprobe':
      case 'sysctl':
      case 'swapoff':
      case 'systemctl':
        return '';
    }
    this.fleet.noteUnsimulated(`${command} ${line}`.slice(0, 120));
    throw new FleetFailure(`bench host: "${command} ${line}" is not simulated`, 127);
  }

  override async exec(command: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const secrets = options.secrets ?? [];
    let result: ExecResult;
    try {
      result = { exitCode: 0, stdout: await this.answer(command, args, options), stderr: '' };
    } catch (err) {
      result = { exitCode: err instanceof FleetFailure ? err.exitCode : 1, stdout: '', stderr: `${(err as Error).message}\n` };
    }
    for (const l of `${result.stdout}${result.stderr}`.split('\n').filter(Boolean)) options.onLine?.(redactSecrets(l, secrets));
    if (result.exitCode !== 0 && !options.allowFailure) {
      const shown = redactSecrets(redactArgv([command, ...args], secrets).join(' '), secrets);
      throw new CommandError(shown, result.exitCode, redactSecrets(tail(result.stderr || result.stdout), secrets));
    }
    return result;
  }
}
