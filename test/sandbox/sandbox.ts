/**
 * The sandbox: `sudo npm run sandbox` / `node dist/test/sandbox/main.js up|down`. Three control-plane hosts and one worker as
 * network namespaces on one bridge (198.18.0.0/24), deployed by the real coordinator and agents, with the real
 * keepalived and haproxy; kubeadm (and the apiserver behind it) is SIMULATED. It prints the status and the verify
 * table, runs the failover drill and stays up in the background until `sandbox down`.
 *
 * `up` starts a detached server process (this file with `serve`) that owns the lab (the kubelet stand-ins live in
 * it) and writes its progress to a log; the foreground follows that log until the sandbox is ready, then exits.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { E2eCluster, COORDINATOR_ADDRESS, LB_PORT, METRICS_URL, type E2eHost } from '../e2e/cluster.js';
import { canRunNetns } from '../netns/can-run.js';
import { sleep } from '../netns/proc.js';

export const SANDBOX_DIR = '/run/kubeadm-ha-sandbox';
const STATE = `${SANDBOX_DIR}/state.json`;
const LOG = `${SANDBOX_DIR}/sandbox.log`;
const READY = '__kubeadm_ha_sandbox_ready__';
const FAILED = '__kubeadm_ha_sandbox_failed__';

const HOSTS: E2eHost[] = [
  { name: 'master-0', address: '198.18.0.11', role: 'control-plane' },
  { name: 'master-1', address: '198.18.0.12', role: 'control-plane' },
  { name: 'master-2', address: '198.18.0.13', role: 'control-plane' },
  { name: 'worker-0', address: '198.18.0.21', role: 'worker' },
];

/** The versions a sandbox can start at: each has a next minor the package-manager stand-ins offer for `upgrade`. */
export const SANDBOX_VERSIONS = ['v1.29.10', 'v1.30.6', 'v1.31.4', 'v1.32.0'];
const DEFAULT_VERSION = 'v1.31.4';

/** The release one minor up that `coordinatorctl upgrade --to` can take the sandbox to. */
export function nextMinor(version: string): string {
  const [major, minor] = version.slice(1).split('.').map(Number) as [number, number];
  return `v${major}.${minor + 1}.0`;
}

export interface SandboxIo {
  out(text: string): void;
  err(text: string): void;
}

interface SandboxState {
  pid: number;
  netns: Record<string, string>;
  dir: string;
  adminConf: string;
}

function readState(): SandboxState | undefined {
  try {
    return JSON.parse(readFileSync(STATE, 'utf8')) as SandboxState;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function sandboxUp(io: SandboxIo, version = DEFAULT_VERSION): Promise<number> {
  const can = canRunNetns();
  if (!can.ok) {
    io.err(`sandbox: cannot create network namespaces here: ${can.reason}\n(run as root: sudo npm run sandbox)\n`);
    return 1;
  }
  const existing = readState();
  if (existing && alive(existing.pid)) {
    io.err(`sandbox: already running (pid ${existing.pid}); \`sudo node ${mainPath()} down\` removes it\n`);
    return 1;
  }
  mkdirSync(SANDBOX_DIR, { recursive: true, mode: 0o700 });
  rmSync(STATE, { force: true });
  writeFileSync(LOG, '');
  const fd = openSync(LOG, 'a');
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), 'serve', version], { detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  child.unref();
  // Follow the server's log: live progress here, the sandbox itself over there.
  let offset = 0;
  for (;;) {
    const text = readFileSync(LOG, 'utf8');
    const chunk = text.slice(offset);
    offset = text.length;
    const ready = chunk.includes(READY);
    const failed = chunk.includes(FAILED);
    io.out(chunk.replace(`${READY}\n`, '').replace(`${FAILED}\n`, ''));
    if (ready) return 0;
    if (failed || (child.exitCode !== null && !ready)) {
      io.err(`sandbox: failed; the log is ${LOG}\n`);
      return 1;
    }
    await sleep(200);
  }
}

export async function sandboxDown(io: SandboxIo): Promise<number> {
  const state = readState();
  if (!state || !alive(state.pid)) {
    io.out('sandbox: not running\n');
    rmSync(STATE, { force: true });
    return 0;
  }
  process.kill(state.pid, 'SIGTERM');
  for (let i = 0; i < 600 && alive(state.pid); i++) await sleep(100);
  if (alive(state.pid)) {
    io.err(`sandbox: pid ${state.pid} did not stop; namespaces: ${Object.values(state.netns).join(' ')}\n`);
    return 1;
  }
  rmSync(STATE, { force: true });
  io.out('sandbox: removed (namespaces, processes, VIP, files)\n');
  return 0;
}

/** The detached server: builds the lab, deploys, verifies, drills, then holds everything until SIGTERM. */
async function serve(version: string): Promise<void> {
  const say = (line: string) => process.stdout.write(`${line}\n`);
  let cluster: E2eCluster | undefined;
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await cluster?.destroy().catch(() => undefined);
    rmSync(STATE, { force: true });
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  try {
    say('kubeadm-ha sandbox: 3 control-plane hosts + 1 worker in network namespaces on 198.18.0.0/24');
    say("NOTE: kubeadm is SIMULATED here (a test double that follows kubeadm's grammar and serves a stand-in apiserver /healthz).");
    say('      Everything else is real: the coordinator, NATS, the agents, gRPC/mTLS, keepalived (VRRP), haproxy, etcd.\n');
    const upgradeTo = nextMinor(version);
    cluster = await E2eCluster.create({
      name: 'sandbox',
      hosts: HOSTS,
      prefix: 'khasbx',
      clusterName: 'sandbox',
      kubernetesVersion: version,
      // The hosts' package manager (a stand-in) offers this version and the next minor, for `coordinatorctl upgrade`.
      agentEnv: { KUBEADM_SIM_PACKAGE_VERSIONS: `${version.slice(1)} ${upgradeTo.slice(1)}` },
    });
    const c = cluster;
    for (const h of HOSTS) {
      mkdirSync(`${c.root(h.name)}/etc`, { recursive: true });
      writeFileSync(`${c.root(h.name)}/etc/os-release`, 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n');
    }
    say(`• Kubernetes ${version} (simulated); the hosts' package manager also offers ${upgradeTo}`);
    say(`• namespaces created: ${c.lab.hosts.map((h) => h.netns).join(', ')}`);
    await c.bringUp();
    say('• coordinator, NATS and 4 agents started; deploying:\n');
    const netns = c.lab.host('coordinator').netns;
    // The lab's agents run the simulator with KUBEADM_SIM_ETCD=real: real etcd members answer the health gates.
    const deployArgs = ['deploy', '-f', c.specPath];
    const deploy = spawn('ip', ['netns', 'exec', netns, process.execPath, cliPath(), ...deployArgs, '--admin-conf', c.adminConf], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const code = await new Promise<number>((r) => deploy.on('exit', (x) => r(x ?? 1)));
    if (code !== 0) throw new Error(`deploy failed (exit ${code}); logs in ${c.logs()}`);
    say('');
    say((await c.ctl(['status'])).stdout);
    const verify = await c.ctl(['verify']);
    say(verify.stdout + verify.stderr);
    say('Failover drill: stopping the load balancer on the VIP holder through its agent…');
    const drill = await c.ctl(['verify', '--failover']);
    say(
      drill.stdout
        .split('\n')
        .filter((l) => /^failover|^PASS|^FAIL/.test(l))
        .join('\n'),
    );
    const ns = Object.fromEntries(c.lab.hosts.map((h) => [h.name, h.netns]));
    const state: SandboxState = { pid: process.pid, netns: ns, dir: c.dir, adminConf: c.adminConf };
    writeFileSync(STATE, JSON.stringify(state, null, 2), { mode: 0o600 });
    say(`
The sandbox is running. Look around:
  sudo ip netns exec ${ns['worker-0']} curl -k https://${c.vip}:${LB_PORT}/healthz      # the apiserver through the VIP
  for n in ${HOSTS.filter((h) => h.role === 'control-plane')
    .map((h) => ns[h.name])
    .join(' ')}; do sudo ip -n $n -br addr show eth0; done   # who holds ${c.vip}
  sudo ip netns exec ${ns['coordinator']} node ${cliPath()} verify --failover --admin-conf ${c.adminConf}
  sudo ip netns exec ${ns['coordinator']} node ${cliPath()} upgrade --to ${upgradeTo} --admin-conf ${c.adminConf}   # a rolling upgrade, node by node behind its drain
  sudo ip netns exec ${ns['coordinator']} node ${cliPath()} certs renew --admin-conf ${c.adminConf}                # certificates renewed the same way
  sudo ip netns exec ${ns['coordinator']} curl -s ${METRICS_URL} | grep ^kubeadm_ha   # the cluster's Prometheus metrics (VIP holder, VRRP states, backends, etcd, certificates)
  sudo ip netns exec ${ns['master-0']} bash                                  # a shell on master-0 (its files: ${c.root('master-0')})
  coordinator ${COORDINATOR_ADDRESS}:9443, logs in ${c.logs()}
Remove it with: sudo node ${mainPath()} down
${READY}`);
  } catch (err) {
    say(`sandbox failed: ${err instanceof Error ? err.message : String(err)}`);
    say(FAILED);
    await stop();
    return;
  }
  // Hold the lab (the kubelet stand-ins run in this process) until sandbox down.
  setInterval(() => undefined, 1 << 30);
}

/** The sandbox's entry point (main.ts), which `up` and `down` are run through. */
function mainPath(): string {
  return fileURLToPath(new URL('./main.js', import.meta.url));
}

function cliPath(): string {
  return fileURLToPath(new URL('../../coordinator/cli/main.js', import.meta.url));
}

if (process.argv[2] === 'serve' && process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) void serve(process.argv[3] ?? DEFAULT_VERSION);
