/**
 * Deploy benchmark: 3 control-plane nodes + 50 workers, the simulator given fixed delays (init 2 s, control-plane join
 * 1 s, worker join 1 s). The agents run in this process on the real protocol (53 agent processes are too heavy for two
 * cores); the coordinator is its own process so its peak RSS is its own. The lower bound is the critical path:
 * init + 2 control-plane joins + 1 worker join = 5 s.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAgentConfig } from '../../core/agent-config.js';
import { silentLogger } from '../../lib/log.js';
import { startAgent, type AgentDaemon } from '../../agent/daemon.js';
import { LoopbackCluster, type LoopbackHost } from '../integration/loopback-cluster.js';
import type { BenchResult } from './result.js';

const INIT_MS = 2000;
const CP_JOIN_MS = 1000;
const WORKER_JOIN_MS = 1000;
const WORKERS = 50;

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
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

export async function benchDeploy(): Promise<BenchResult> {
  const hosts: LoopbackHost[] = [
    ...[0, 1, 2].map((i) => ({ name: `master-${i}`, address: `127.0.1.${10 + i}`, role: 'control-plane' as const })),
    ...Array.from({ length: WORKERS }, (_, i) => ({ name: `worker-${i}`, address: `127.0.2.${10 + i}`, role: 'worker' as const })),
  ];
  const cluster = new LoopbackCluster({
    hosts,
    vip: '127.0.0.100/8',
    agentEnv: {
      KUBEADM_SIM_DELAY_INIT_MS: String(INIT_MS),
      KUBEADM_SIM_DELAY_JOIN_CP_MS: String(CP_JOIN_MS),
      KUBEADM_SIM_DELAY_JOIN_WORKER_MS: String(WORKER_JOIN_MS),
      // The simulator's own RSA key generation is CPU the real kubeadm spends on other machines.
      KUBEADM_SIM_KEY_ALGORITHM: 'ECDSA-P256',
    },
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
      agents.push(startAgent({ config, hostRoot: root, logger: silentLogger, commandEnv: { ...process.env, ...cluster.agentEnv(host) } }));
    }
    // Agents are installed and registered before anyone deploys; the deploy starts from there.
    await cluster.waitFor(() => agents.every((a) => a.session.connected), 300_000, 'every agent to connect');
    const started = performance.now();
    const result = await cluster.ctl('deploy', '-f', cluster.specPath);
    const totalMs = performance.now() - started;
    if (result.code !== 0) throw new Error(`deploy failed:\n${result.stderr.slice(-2000)}`);
    const inv = cluster.invocations();
    const firstInit = inv.find((i) => i.argv[0] === 'init' && i.argv[1] !== 'phase')!;
    const lastJoin = Math.max(...inv.filter((i) => i.argv[0] === 'join').map((i) => i.ts_end));
    const lowerBoundMs = INIT_MS + 2 * CP_JOIN_MS + WORKER_JOIN_MS;
    const phaseRows = phaseDurations(join(cluster.logs, 'coordinator.log')).map(([phase, ms]) => ({ metric: `  phase ${phase}`, value: ms, unit: 'ms' }));
    const kubeadmSpanMs = lastJoin - firstInit.ts_start;
    return {
      name: `deploy: 3 control-plane + ${WORKERS} workers (simulator delays init ${INIT_MS} ms, joins ${CP_JOIN_MS}/${WORKER_JOIN_MS} ms)`,
      rows: [
        { metric: 'total deploy time (coordinatorctl deploy)', value: Math.round(totalMs), unit: 'ms' },
        { metric: 'critical-path lower bound (init + 2 cp joins + 1 worker join)', value: lowerBoundMs, unit: 'ms' },
        { metric: 'ratio total / lower bound', value: Number((totalMs / lowerBoundMs).toFixed(2)), unit: 'x', target: '<= 1.10' },
        { metric: 'first kubeadm init start -> last join end', value: kubeadmSpanMs, unit: 'ms' },
        { metric: 'coordinator peak RSS', value: peakRssMb(cluster.coordinator!.pid!), unit: 'MB' },
        ...phaseRows,
      ],
    };
  } finally {
    await Promise.all(agents.map((a) => a.stop()));
    if (process.env.KHA_BENCH_KEEP) console.error('kept', cluster.dir);
    await cluster.destroy();
  }
}
