/**
 * Deploy benchmark: 3 control-plane nodes + 100 workers, kubeadm given scripted durations (init 10 s, control-plane
 * join 8 s, worker join 5 s). What it measures is the coordinator's own overhead on the critical path: the deploy's
 * wall time minus the kubeadm time that lies on it (init, then the two control-plane joins one after another, then
 * the longest worker join, each as recorded by the simulated hosts); the target is at most 10 % of the deploy.
 *
 * Real: the coordinator, its own process (so its peak RSS is its own), with its nats-server; coordinatorctl; 103
 * agents (agent/daemon.ts startAgent) on the real protocol, each its own gRPC session with its own certificate and its
 * own NATS connection, spread over a few processes (deploy-agents.ts; 103 agent processes are too heavy for two
 * cores, and one process for all of them turns every burst of 100 tasks into one event loop's queue). The hosts are
 * simulated so that the machine is not the bottleneck: no host operation starts a process (but three haproxys and a
 * few `haproxy -c`). test/bench/deploy-fleet.ts says exactly what is simulated, kubeadm and etcd among it, and what is
 * real (files, TLS, the stand-in apiservers, haproxy). The hosts' files are on tmpfs (/dev/shm) where there is one:
 * 103 hosts' fsyncs would otherwise queue on one disk, where real hosts have one each.
 *
 * Besides the figures, the bench prints where the overhead lies (the stretches between kubeadm runs on the critical
 * path, and every phase), how many verify checks passed (they run against the simulated services), and how busy the
 * bench's own processes and the machine were, so a reader can tell coordinator time from a starved simulation.
 * KHA_BENCH_DEPLOY_WORKERS and KHA_BENCH_DEPLOY_PROCESSES change the number of workers (100) and agent processes (2).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LoopbackCluster, type LoopbackHost } from '../integration/loopback-cluster.js';
import { REPO_ROOT } from '../kubeadm-sim/testing.js';
import type { AgentHost, FromAgents, ToAgents } from './deploy-agents.js';
import { Fleet, FleetFailure, loopBusy, LoopSampler, type FleetInvocation, type LoopSample } from './deploy-fleet.js';
import { runWhenEntry, type BenchResult, type BenchRow } from './result.js';

const INIT_MS = 10_000;
const CP_JOIN_MS = 8_000;
const WORKER_JOIN_MS = 5_000;
/** 100 by default; KHA_BENCH_DEPLOY_WORKERS changes it for a quicker look (the name says how many). */
const WORKERS = Number(process.env.KHA_BENCH_DEPLOY_WORKERS || 100);
const AGENT_PROCESSES = Number(process.env.KHA_BENCH_DEPLOY_PROCESSES || 2);
/** Not 127.0.0.100, which the loopback integration tests use. */
const VIP = '127.0.1.100/8';

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

/** CPU time (user + system) of a process so far, in ms. */
function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after "pid (comm) ".
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** A process's CPU time, sampled, so any window can be asked how much CPU the process used in it. */
class CpuSampler {
  private readonly samples: { at: number; cpuMs: number }[] = [];
  private readonly timer: NodeJS.Timeout;
  constructor(
    private readonly pid: number,
    everyMs = 50,
  ) {
    this.take();
    this.timer = setInterval(() => this.take(), everyMs);
  }
  private take(): void {
    try {
      this.samples.push({ at: Date.now(), cpuMs: processCpuMs(this.pid) });
    } catch {
      // gone
    }
  }
  stop(): void {
    clearInterval(this.timer);
    this.take();
  }
  /** CPU ms used in [from, to], to the sampling interval. */
  used(from: number, to: number): number {
    const first = this.samples.findLast((s) => s.at <= from) ?? this.samples[0];
    const last = this.samples.find((s) => s.at >= to) ?? this.samples.at(-1);
    return first && last ? last.cpuMs - first.cpuMs : 0;
  }
}

/** The machine's busy and total CPU time so far, in jiffies, from /proc/stat. */
function machineCpu(): { busy: number; total: number } {
  const values = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  const total = values.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** How long each deploy phase took, from the coordinator's own log lines. */
function phaseDurations(logPath: string): [string, number][] {
  const started = new Map<string, number>();
  const out: [string, number][] = [];
  for (const line of readFileSync(logPath, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { time: number; phase?: string; msg: string };
    if (!entry.phase) continue;
    if (entry.msg === 'phase started') started.set(entry.phase, entry.time);
    else if (entry.msg === 'phase done' && started.has(entry.phase)) out.push([entry.phase, entry.time - started.get(entry.phase)!]);
  }
  return out;
}

/** When the coordinator started its first phase and finished its last, from its log. */
function coordinatorSpan(logPath: string, after: number): { first: number; last: number } {
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  for (const line of readFileSync(logPath, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { time: number; phase?: string; msg: string };
    if (!entry.phase || entry.time < after) continue;
    if (entry.msg === 'phase started') first = Math.min(first, entry.time);
    if (entry.msg === 'phase done') last = Math.max(last, entry.time);
  }
  return { first, last };
}

/**
 * The kubeadm runs on the critical path and the stretches between them: coordinatorctl's start, the phases before
 * init, init → first control-plane join, between the control-plane joins, last control-plane join → first worker
 * join, the spread of the worker joins' starts, last worker join → the coordinator's last phase done, and
 * coordinatorctl's end. Everything that is not kubeadm is coordinator time (or the hosts' non-kubeadm work it waits for).
 */
function criticalPath(
  invocations: readonly FleetInvocation[],
  controlPlane: readonly string[],
  window: { start: number; end: number },
  coordinator: { first: number; last: number },
) {
  const ok = invocations.filter((i) => i.exitCode === 0);
  const init = ok.find((i) => i.argv[0] === 'init');
  const cpJoins = ok.filter((i) => i.argv[0] === 'join' && controlPlane.includes(i.host)).sort((a, b) => a.start - b.start);
  const workerJoins = ok.filter((i) => i.argv[0] === 'join' && !controlPlane.includes(i.host));
  if (!init || cpJoins.length !== controlPlane.length - 1 || workerJoins.length === 0) {
    throw new Error('the deploy did not record one init, every control-plane join and a worker join');
  }
  const longestWorker = Math.max(...workerJoins.map((i) => i.end - i.start));
  const kubeadmMs = init.end - init.start + cpJoins.reduce((sum, i) => sum + (i.end - i.start), 0) + longestWorker;
  const firstWorkerStart = Math.min(...workerJoins.map((i) => i.start));
  const lastWorkerEnd = Math.max(...workerJoins.map((i) => i.end));
  const gaps: { what: string; from: number; to: number; ms: number }[] = [];
  const gap = (what: string, from: number, to: number, ms = to - from) => gaps.push({ what, from, to, ms });
  gap('coordinatorctl start -> first phase', window.start, coordinator.first);
  gap('first phase -> kubeadm init (preflight, load balancer, ...)', coordinator.first, init.start);
  let previous = init;
  for (const [n, join] of cpJoins.entries()) {
    gap(n === 0 ? 'init end -> first control-plane join' : 'control-plane join -> next control-plane join', previous.end, join.start);
    previous = join;
  }
  gap('last control-plane join -> first worker join', previous.end, firstWorkerStart);
  gap('worker joins: first start -> last end, minus the longest join', firstWorkerStart, lastWorkerEnd, lastWorkerEnd - firstWorkerStart - longestWorker);
  gap('last worker join -> last phase done (Node Ready, verify)', lastWorkerEnd, coordinator.last);
  gap('last phase done -> coordinatorctl exit', coordinator.last, window.end);
  return { kubeadmMs, gaps, firstInitStart: init.start, lastJoinEnd: lastWorkerEnd, workerJoins: workerJoins.length };
}

/** One forked process of agents: it asks the cluster model (here) for kubeadm and kubectl, and is told the VIP. */
class AgentProcess {
  private readonly child: ChildProcess;
  private nextId = 0;
  private readonly replies = new Map<number, (m: FromAgents) => void>();
  readonly connected: Promise<void>;
  private readonly exited: Promise<string>;

  constructor(fleet: Fleet) {
    const here = fileURLToPath(import.meta.url);
    const stdio = ['ignore', 'inherit', 'inherit', 'ipc'] as const;
    // Compiled (npm run bench): node runs the compiled module. From source (vite-node): vite-node runs the source.
    this.child = here.endsWith('.ts')
      ? fork(join(REPO_ROOT, 'node_modules/vite-node/vite-node.mjs'), [join(dirname(here), 'deploy-agents.ts')], { stdio: [...stdio] })
      : fork(join(dirname(here), 'deploy-agents.js'), [], { stdio: [...stdio] });
    this.exited = new Promise((r) => this.child.once('exit', (code, signal) => r(`agent process exited (${signal ?? code})`)));
    let connected: () => void;
    this.connected = Promise.race([new Promise<void>((r) => (connected = r)), this.exited.then((why) => Promise.reject(new Error(why)))]);
    this.child.on('message', (m: FromAgents) => {
      switch (m.type) {
        case 'call': {
          const ask = m.tool === 'kubeadm' ? fleet.kubeadm(m.host, m.root, m.args) : fleet.kubectl(m.host, m.root, m.args);
          ask.then(
            (stdout) => this.send({ type: 'reply', id: m.id, stdout }),
            (err: unknown) =>
              this.send({
                type: 'reply',
                id: m.id,
                error: { message: err instanceof Error ? err.message : String(err), exitCode: err instanceof FleetFailure ? err.exitCode : 1 },
              }),
          );
          return;
        }
        case 'vrrp':
          fleet.noteVrrpListen(m.host, m.event, m.at);
          return;
        case 'unsimulated':
          fleet.noteUnsimulated(m.line);
          return;
        case 'connected':
          connected();
          return;
        case 'busy':
        case 'samples':
          this.replies.get(m.id)?.(m);
          this.replies.delete(m.id);
          return;
      }
    });
  }

  send(m: ToAgents): void {
    if (this.child.connected) this.child.send(m);
  }

  private ask<T extends FromAgents>(make: (id: number) => ToAgents): Promise<T> {
    const id = ++this.nextId;
    return new Promise((resolve) => {
      this.replies.set(id, (m) => resolve(m as T));
      this.send(make(id));
    });
  }

  async busy(overMs: number): Promise<number> {
    return (await this.ask<Extract<FromAgents, { type: 'busy' }>>((id) => ({ type: 'busy', id, overMs }))).utilization;
  }

  async samples(): Promise<readonly LoopSample[]> {
    return (await this.ask<Extract<FromAgents, { type: 'samples' }>>((id) => ({ type: 'samples', id }))).samples;
  }

  async stop(): Promise<void> {
    this.send({ type: 'stop' });
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, 30_000))]);
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }

  get pid(): number {
    return this.child.pid!;
  }
}

/**
 * Waits until every agent process has been quiet (at most 15 % busy) for a second: registrations and the agents' NATS
 * watches settle before the deploy starts, as on a fleet installed beforehand. Gives up quietly after `timeoutMs`.
 */
async function settle(processes: readonly AgentProcess[], timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const busy = await Promise.all(processes.map((p) => p.busy(1_000)));
    if (busy.every((b) => b <= 0.15)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

export async function benchDeploy(): Promise<BenchResult> {
  const hosts: LoopbackHost[] = [
    ...[0, 1, 2].map((i) => ({ name: `master-${i}`, address: `127.0.1.${10 + i}`, role: 'control-plane' as const })),
    ...Array.from({ length: WORKERS }, (_, i) => ({ name: `worker-${i}`, address: `127.0.2.${10 + i}`, role: 'worker' as const })),
  ];
  const cluster = new LoopbackCluster({ hosts, vip: VIP, etcdAnswers: true });
  const fleet = new Fleet({
    initMs: INIT_MS,
    controlPlaneJoinMs: CP_JOIN_MS,
    workerJoinMs: WORKER_JOIN_MS,
    vip: VIP,
    lbPort: 8443,
    apiserverPort: 6443,
    kubernetesVersion: 'v1.31.4',
    logDir: cluster.logs,
  });
  // The hosts' files live on tmpfs where there is one: 103 hosts' writes (each fsynced) would otherwise queue on one
  // disk and in this process's four libuv threads, where real hosts have a disk each. The coordinator's data stays on disk.
  const hostsDir = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/kha-deploy-hosts-') : join(cluster.dir, 'hosts');
  const processes: AgentProcess[] = [];
  fleet.onVipMoved = (holder) => {
    for (const p of processes) p.send({ type: 'vip', holder: holder ?? null });
  };
  try {
    // What kubeadm would generate is signed now, outside the measured deploy (host CPU, not the coordinator's).
    await fleet.prepare(hosts);
    await cluster.startCoordinatorWith(['--worker-concurrency', String(WORKERS)]);
    await cluster.createAgentConfig();
    const agentHosts: AgentHost[] = hosts.map((host) => {
      const root = join(hostsDir, host.name);
      mkdirSync(join(root, 'run/containerd'), { recursive: true });
      writeFileSync(join(root, 'run/containerd/containerd.sock'), '');
      return { host, root, stateDir: join(root, 'var/lib/kubeadm-ha') };
    });
    for (let i = 0; i < AGENT_PROCESSES; i++) processes.push(new AgentProcess(fleet));
    for (const [i, p] of processes.entries()) {
      p.send({
        type: 'start',
        agentConfig: cluster.agentConfig,
        vip: VIP,
        kubernetesVersion: fleet.kubernetesVersion,
        hosts: agentHosts.filter((_, n) => n % processes.length === i),
      });
    }
    // Agents are installed and registered before anyone deploys; the deploy starts from there, on a quiet fleet.
    await Promise.all(processes.map((p) => p.connected));
    await settle(processes, 60_000);
    const coordinatorPid = cluster.coordinator!.pid!;
    const agentCpu = () => processes.reduce((sum, p) => sum + processCpuMs(p.pid), 0);
    const [coordinatorCpu0, agentCpu0, modelCpu0, machine0] = [processCpuMs(coordinatorPid), agentCpu(), process.cpuUsage(), machineCpu()];
    const loop = new LoopSampler();
    const coordinatorCpu = new CpuSampler(coordinatorPid);
    const startedAt = Date.now();
    const started = performance.now();
    const result = await cluster.ctl('deploy', '-f', cluster.specPath);
    const totalMs = performance.now() - started;
    const endedAt = Date.now();
    loop.stop();
    coordinatorCpu.stop();
    const coordinatorCpuMs = processCpuMs(coordinatorPid) - coordinatorCpu0;
    const agentCpuMs = agentCpu() - agentCpu0;
    const modelCpu = process.cpuUsage(modelCpu0);
    const machine1 = machineCpu();
    const agentSamples = await Promise.all(processes.map((p) => p.samples()));
    /** The busiest of the bench's processes (agents, model) over a window. */
    const benchBusy = (from: number, to: number) => Math.max(loop.busy(from, to), ...agentSamples.map((s) => loopBusy(s, from, to)));
    if (result.code !== 0) throw new Error(`deploy failed:\n${result.stderr.slice(-2000)}`);
    if (fleet.unsimulated.size > 0)
      process.stderr.write(`deploy bench: commands the simulated hosts did not answer:\n  ${[...fleet.unsimulated].join('\n  ')}\n`);
    const verifyLine = /verify: (\d+)\/(\d+) checks passed/.exec(result.stdout);
    const warnings = result.stdout.split('\n').filter((l) => l.startsWith('[verify') && l.includes('warning:'));
    if (warnings.length > 0) process.stderr.write(`deploy bench: verify warnings:\n  ${warnings.join('\n  ')}\n`);

    const path = criticalPath(
      fleet.invocations,
      hosts.filter((h) => h.role === 'control-plane').map((h) => h.name),
      { start: startedAt, end: endedAt },
      coordinatorSpan(join(cluster.logs, 'coordinator.log'), startedAt),
    );
    const vrrpListenMs = Math.max(0, ...[...fleet.vrrpListens.values()].map((l) => (l.end ?? l.start) - l.start));
    const overheadMs = totalMs - path.kubeadmMs;
    const lowerBoundMs = INIT_MS + 2 * CP_JOIN_MS + WORKER_JOIN_MS;
    const phaseRows = phaseDurations(join(cluster.logs, 'coordinator.log')).map(([phase, ms]) => ({ metric: `  phase ${phase}`, value: ms, unit: 'ms' }));
    const gapRows: BenchRow[] = path.gaps.flatMap((g) => [
      { metric: `  overhead: ${g.what}`, value: g.ms, unit: 'ms' },
      { metric: '    coordinator CPU meanwhile', value: Math.round(coordinatorCpu.used(g.from, g.to)), unit: 'ms' },
      { metric: '    busiest bench process meanwhile (agents, simulated hosts)', value: Math.round(100 * benchBusy(g.from, g.to)), unit: '%' },
    ]);
    const machineBusy = (machine1.busy - machine0.busy) / (machine1.total - machine0.total);
    return {
      name: `deploy: 3 control-plane + ${WORKERS} workers, simulated hosts (scripted kubeadm: init ${INIT_MS} ms, control-plane join ${CP_JOIN_MS} ms, worker join ${WORKER_JOIN_MS} ms)`,
      rows: [
        { metric: 'total deploy time (coordinatorctl deploy)', value: Math.round(totalMs), unit: 'ms' },
        { metric: 'critical-path lower bound (init + 2 cp joins + 1 worker join)', value: lowerBoundMs, unit: 'ms' },
        { metric: 'ratio total / lower bound', value: Number((totalMs / lowerBoundMs).toFixed(2)), unit: 'x', target: '<= 1.10' },
        { metric: 'critical-path kubeadm time (init + 2 cp joins + longest worker join, recorded)', value: path.kubeadmMs, unit: 'ms' },
        { metric: 'coordinator overhead on the critical path (total - kubeadm time)', value: Math.round(overheadMs), unit: 'ms' },
        { metric: 'coordinator overhead, share of the deploy', value: Number(((100 * overheadMs) / totalMs).toFixed(1)), unit: '%', target: '<= 10 %' },
        { metric: '  of which preflight VRRP listen (a fixed wait on the control-plane hosts)', value: vrrpListenMs, unit: 'ms' },
        {
          metric: '  overhead without the VRRP listen, share of the deploy',
          value: Number(((100 * (overheadMs - vrrpListenMs)) / totalMs).toFixed(1)),
          unit: '%',
        },
        ...gapRows,
        { metric: 'first kubeadm init start -> last join end', value: path.lastJoinEnd - path.firstInitStart, unit: 'ms' },
        { metric: 'coordinator peak RSS', value: peakRssMb(coordinatorPid), unit: 'MB' },
        { metric: 'coordinator CPU during the deploy', value: Math.round(coordinatorCpuMs), unit: 'ms' },
        { metric: `agent processes' CPU during the deploy (${hosts.length} agents in ${processes.length})`, value: Math.round(agentCpuMs), unit: 'ms' },
        {
          metric: 'cluster model CPU during the deploy (simulated kubeadm, etcd, apiservers, VIP)',
          value: Math.round((modelCpu.user + modelCpu.system) / 1000),
          unit: 'ms',
        },
        { metric: 'busiest bench process during the deploy', value: Math.round(100 * benchBusy(startedAt, endedAt)), unit: '%' },
        { metric: 'machine CPU busy during the deploy (all cores, everything running)', value: Math.round(100 * machineBusy), unit: '%' },
        {
          metric: "  of which this bench's coordinator, agent and model processes",
          value: Math.round((100 * (coordinatorCpuMs + agentCpuMs + (modelCpu.user + modelCpu.system) / 1000)) / (cpus().length * totalMs)),
          unit: '%',
        },
        { metric: 'verify checks passed (against the simulated services)', value: Number(verifyLine?.[1] ?? 0), unit: `of ${verifyLine?.[2] ?? '?'}` },
        { metric: 'worker joins recorded', value: path.workerJoins, unit: `of ${WORKERS}` },
        ...phaseRows,
      ],
    };
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    await fleet.close();
    if (process.env.KHA_BENCH_KEEP) console.error('kept', cluster.dir);
    await cluster.destroy();
    if (!process.env.KHA_KEEP_TEST_DIRS) rmSync(hostsDir, { recursive: true, force: true });
  }
}

await runWhenEntry(import.meta.url, benchDeploy);
