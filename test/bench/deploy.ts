/**
 * Deploy benchmark: 3 control-plane nodes + 100 workers, kubeadm given scripted durations (init 10 s, control-plane
 * join 8 s, worker join 5 s). What it measures is the coordinator's own overhead on the critical path: the deploy's
 * wall time minus the kubeadm time that lies on it (init, then the two control-plane joins one after another, then
 * the longest worker join, each as recorded by the simulated hosts); the target is at most 10 % of the deploy.
 *
 * Real: the coordinator, its own process (so its peak RSS is its own), with its nats-server; 103 agents
 * (agent/daemon.ts startAgent) on the real protocol, each its own gRPC session with its own certificate and its own
 * NATS connection (they share this process: 103 agent processes are too heavy for two cores); coordinatorctl. The
 * hosts are simulated in this process so that the machine is not the bottleneck: no host operation starts a process
 * (but three haproxys and a few `haproxy -c`). test/bench/deploy-fleet.ts says exactly what is simulated, kubeadm
 * and etcd among it, and what is real (files, TLS, the stand-in apiservers, haproxy).
 *
 * Besides the figures, the bench prints where the overhead lies (the stretches between kubeadm runs on the critical
 * path, and every phase), how many verify checks passed (they run against the simulated services), and how busy the
 * machine was, so a reader can tell coordinator time from a starved machine.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseAgentConfig } from '../../core/agent-config.js';
import { silentLogger } from '../../lib/log.js';
import { startAgent, type AgentDaemon } from '../../agent/daemon.js';
import { LoopbackCluster, type LoopbackHost } from '../integration/loopback-cluster.js';
import { Fleet, type FleetInvocation } from './deploy-fleet.js';
import { runWhenEntry, type BenchResult, type BenchRow } from './result.js';

const INIT_MS = 10_000;
const CP_JOIN_MS = 8_000;
const WORKER_JOIN_MS = 5_000;
/** 100 by default; KHA_BENCH_DEPLOY_WORKERS changes it for a quicker look (the name says how many). */
const WORKERS = Number(process.env.KHA_BENCH_DEPLOY_WORKERS || 100);
const VIP = '127.0.0.100/8';

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

/**
 * The kubeadm runs on the critical path and the stretches between them: before init, init → first control-plane
 * join, between the control-plane joins, last control-plane join → first worker join, and last worker join → the
 * deploy's end. Each stretch is coordinator time (and the hosts' non-kubeadm work it waits for).
 */
function criticalPath(invocations: readonly FleetInvocation[], controlPlane: readonly string[], startedAt: number, endedAt: number) {
  const ok = invocations.filter((i) => i.exitCode === 0);
  const init = ok.find((i) => i.argv[0] === 'init');
  const cpJoins = ok.filter((i) => i.argv[0] === 'join' && controlPlane.includes(i.host)).sort((a, b) => a.start - b.start);
  const workerJoins = ok.filter((i) => i.argv[0] === 'join' && !controlPlane.includes(i.host));
  if (!init || cpJoins.length !== controlPlane.length - 1 || workerJoins.length === 0)
    throw new Error('the deploy did not record one init, every control-plane join and a worker join');
  const longestWorker = Math.max(...workerJoins.map((i) => i.end - i.start));
  const kubeadmMs = init.end - init.start + cpJoins.reduce((sum, i) => sum + (i.end - i.start), 0) + longestWorker;
  const firstWorkerStart = Math.min(...workerJoins.map((i) => i.start));
  const lastWorkerEnd = Math.max(...workerJoins.map((i) => i.end));
  const gaps: [string, number][] = [['deploy start -> kubeadm init', init.start - startedAt]];
  let previous = init;
  for (const [n, join] of cpJoins.entries()) {
    gaps.push([n === 0 ? 'init end -> first control-plane join' : 'control-plane join -> next control-plane join', join.start - previous.end]);
    previous = join;
  }
  gaps.push(['last control-plane join -> first worker join', firstWorkerStart - previous.end]);
  gaps.push(['worker joins: first start -> last end, minus the longest join', lastWorkerEnd - firstWorkerStart - longestWorker]);
  gaps.push(['last worker join -> deploy end (waits, verify)', endedAt - lastWorkerEnd]);
  return { kubeadmMs, gaps, firstInitStart: init.start, lastJoinEnd: lastWorkerEnd, workerJoins: workerJoins.length };
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
  const agents: AgentDaemon[] = [];
  try {
    await cluster.startCoordinatorWith(['--worker-concurrency', String(WORKERS)]);
    await cluster.createAgentConfig();
    for (const host of hosts) {
      const root = cluster.root(host.name);
      mkdirSync(join(root, 'run/containerd'), { recursive: true });
      writeFileSync(join(root, 'run/containerd/containerd.sock'), '');
      const config = parseAgentConfig(`${cluster.agentConfig}nodeName: ${host.name}\nstateDir: ${join(root, 'var/lib/kubeadm-ha')}\n`);
      agents.push(startAgent({ config, hostRoot: root, logger: silentLogger, host: fleet.hostOps(host, root) }));
    }
    // Agents are installed and registered before anyone deploys; the deploy starts from there.
    await cluster.waitFor(() => agents.every((a) => a.session.connected), 300_000, 'every agent to connect');
    const coordinatorPid = cluster.coordinator!.pid!;
    const [coordinatorCpu0, benchCpu0, machine0] = [processCpuMs(coordinatorPid), process.cpuUsage(), machineCpu()];
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const startedAt = Date.now();
    const started = performance.now();
    const result = await cluster.ctl('deploy', '-f', cluster.specPath);
    const totalMs = performance.now() - started;
    const endedAt = Date.now();
    loopDelay.disable();
    const coordinatorCpuMs = processCpuMs(coordinatorPid) - coordinatorCpu0;
    const benchCpu = process.cpuUsage(benchCpu0);
    const machine1 = machineCpu();
    if (result.code !== 0) throw new Error(`deploy failed:\n${result.stderr.slice(-2000)}`);
    if (fleet.unsimulated.size > 0)
      process.stderr.write(`deploy bench: commands the simulated hosts did not answer:\n  ${[...fleet.unsimulated].join('\n  ')}\n`);
    const verifyLine = /verify: (\d+)\/(\d+) checks passed/.exec(result.stdout);
    const warnings = result.stdout.split('\n').filter((l) => l.startsWith('[verify') && l.includes('warning:'));
    if (warnings.length > 0) process.stderr.write(`deploy bench: verify warnings:\n  ${warnings.join('\n  ')}\n`);

    const path = criticalPath(
      fleet.invocations,
      hosts.filter((h) => h.role === 'control-plane').map((h) => h.name),
      startedAt,
      endedAt,
    );
    const overheadMs = totalMs - path.kubeadmMs;
    const lowerBoundMs = INIT_MS + 2 * CP_JOIN_MS + WORKER_JOIN_MS;
    const phaseRows = phaseDurations(join(cluster.logs, 'coordinator.log')).map(([phase, ms]) => ({ metric: `  phase ${phase}`, value: ms, unit: 'ms' }));
    const gapRows: BenchRow[] = path.gaps.map(([what, ms]) => ({ metric: `  overhead: ${what}`, value: ms, unit: 'ms' }));
    const machineBusy = (machine1.busy - machine0.busy) / (machine1.total - machine0.total);
    return {
      name: `deploy: 3 control-plane + ${WORKERS} workers, in-process simulated hosts (scripted kubeadm: init ${INIT_MS} ms, control-plane join ${CP_JOIN_MS} ms, worker join ${WORKER_JOIN_MS} ms)`,
      rows: [
        { metric: 'total deploy time (coordinatorctl deploy)', value: Math.round(totalMs), unit: 'ms' },
        { metric: 'critical-path lower bound (init + 2 cp joins + 1 worker join)', value: lowerBoundMs, unit: 'ms' },
        { metric: 'ratio total / lower bound', value: Number((totalMs / lowerBoundMs).toFixed(2)), unit: 'x', target: '<= 1.10' },
        { metric: 'critical-path kubeadm time (init + 2 cp joins + longest worker join, recorded)', value: path.kubeadmMs, unit: 'ms' },
        { metric: 'coordinator overhead on the critical path (total - kubeadm time)', value: Math.round(overheadMs), unit: 'ms' },
        { metric: 'coordinator overhead, share of the deploy', value: Number(((100 * overheadMs) / totalMs).toFixed(1)), unit: '%', target: '<= 10 %' },
        ...gapRows,
        { metric: 'first kubeadm init start -> last join end', value: path.lastJoinEnd - path.firstInitStart, unit: 'ms' },
        { metric: 'coordinator peak RSS', value: peakRssMb(coordinatorPid), unit: 'MB' },
        { metric: 'coordinator CPU during the deploy', value: Math.round(coordinatorCpuMs), unit: 'ms' },
        {
          metric: 'bench process CPU during the deploy (103 agents, simulated hosts)',
          value: Math.round((benchCpu.user + benchCpu.system) / 1000),
          unit: 'ms',
        },
        { metric: 'bench process event-loop delay, max', value: Math.round(loopDelay.max / 1e6), unit: 'ms' },
        { metric: 'machine CPU busy during the deploy (all cores)', value: Math.round(100 * machineBusy), unit: '%' },
        { metric: 'verify checks passed (against the simulated services)', value: Number(verifyLine?.[1] ?? 0), unit: `of ${verifyLine?.[2] ?? '?'}` },
        { metric: 'worker joins recorded', value: path.workerJoins, unit: `of ${WORKERS}` },
        ...phaseRows,
      ],
    };
  } finally {
    await Promise.all(agents.map((a) => a.stop()));
    await fleet.close();
    if (process.env.KHA_BENCH_KEEP) console.error('kept', cluster.dir);
    await cluster.destroy();
  }
}

await runWhenEntry(import.meta.url, benchDeploy);
