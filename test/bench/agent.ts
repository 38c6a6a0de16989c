/**
 * Agent benchmark (issue "Packaging"): cold start to "registered" on loopback, for the Node build and, when built, the
 * single-file binary; and the agent's idle RSS once its host has joined a cluster.
 */
import { readFileSync } from 'node:fs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LoopbackCluster, type LoopbackHost } from '../integration/loopback-cluster.js';
import { REPO_ROOT } from '../kubeadm-sim/testing.js';
import { runWhenEntry, type BenchResult } from './result.js';

const SEA_AGENT = join(REPO_ROOT, 'dist/bin/kubeadm-ha-agent');

function rssMb(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return Math.round((kb / 1024) * 10) / 10;
}

/** Milliseconds from spawn to the agent's "registered with the coordinator" log line. */
async function coldStartMs(cluster: LoopbackCluster, host: LoopbackHost, binary?: string): Promise<number> {
  const started = Date.now();
  cluster.startAgent(host, binary);
  const log = join(cluster.logs, `agent-${host.name}.log`);
  await cluster.waitFor(() => readFileSync(log, 'utf8').includes('registered with the coordinator'), 30_000, `${host.name} to register`);
  const line = readFileSync(log, 'utf8')
    .split('\n')
    .find((l) => l.includes('registered with the coordinator'))!;
  return (JSON.parse(line) as { time: number }).time - started;
}

export async function benchAgent(): Promise<BenchResult> {
  const hosts: LoopbackHost[] = [
    { name: 'master-0', address: '127.0.3.11', role: 'control-plane' },
    { name: 'cold-node', address: '127.0.3.21', role: 'worker' },
    { name: 'cold-sea', address: '127.0.3.22', role: 'worker' },
  ];
  const cluster = new LoopbackCluster({ hosts: [hosts[0]!], vip: '127.0.3.100/24' });
  try {
    await cluster.startCoordinator();
    await cluster.createAgentConfig();
    const rows: BenchResult['rows'] = [];
    rows.push({
      metric: 'agent cold start -> registered (node dist/agent/main.js)',
      value: await coldStartMs(cluster, hosts[1]!),
      unit: 'ms',
      target: '<= 1000',
    });
    if (existsSync(SEA_AGENT))
      rows.push({
        metric: 'agent cold start -> registered (single-file binary)',
        value: await coldStartMs(cluster, hosts[2]!, SEA_AGENT),
        unit: 'ms',
        target: '<= 1000',
      });
    const sea = existsSync(SEA_AGENT);
    cluster.startAgent(hosts[0]!, sea ? SEA_AGENT : undefined);
    const deploy = await cluster.ctl('deploy', '-f', cluster.specPath);
    if (deploy.code !== 0) throw new Error(`deploy failed: ${deploy.stderr.slice(-1000)}`);
    await new Promise((r) => setTimeout(r, 5000));
    const what = sea ? 'single-file binary' : 'node dist/agent/main.js';
    rows.push({
      metric: `agent idle RSS after joining (${what}, control-plane, following the backend set)`,
      value: rssMb(cluster.agents.get('master-0')!.pid!),
      unit: 'MB',
      target: '<= 80',
    });
    return { name: 'agent', rows };
  } finally {
    await cluster.destroy();
  }
}

await runWhenEntry(import.meta.url, benchAgent);
