/**
 * Issue "Lifecycle", agent SIGTERM: a real agent process (dist/agent/main.js, as the unit runs it) gets SIGTERM while
 * its simulated `kubeadm join` runs. The join is neither cut (the simulator records it finished, exit 0) nor counted
 * twice (the deploy that sent it completes, and a second deploy after the agent is back runs no second join). Before,
 * the agent aborted the running task on SIGTERM, and the unit's default KillMode killed kubeadm with it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSimulatorBuilt } from '../kubeadm-sim/testing.js';
import { LoopbackCluster, type LoopbackHost } from './loopback-cluster.js';

const HOSTS: LoopbackHost[] = [
  { name: 'master-0', address: '127.0.0.11', role: 'control-plane' },
  { name: 'worker-0', address: '127.0.0.21', role: 'worker' },
];

describe('an agent stopped (SIGTERM) during kubeadm join', () => {
  const cluster = new LoopbackCluster({ hosts: HOSTS, agentEnv: { KUBEADM_SIM_DELAY_JOIN_WORKER_MS: '4000' } });
  beforeAll(async () => {
    await ensureSimulatorBuilt();
    await cluster.startCoordinator();
    await cluster.createAgentConfig();
    for (const h of HOSTS) cluster.startAgent(h);
  }, 60_000);
  afterAll(() => cluster.destroy(), 60_000);

  it('lets the join finish, then exits; the deploy completes and a second one joins nothing again', async () => {
    const worker = HOSTS[1]!;
    const client = cluster.ctlSpawn('deploy', '-f', cluster.specPath);
    const chunks: string[] = [];
    client.stdout!.on('data', (c: Buffer) => void chunks.push(c.toString()));
    client.stderr!.resume();
    const deployed = new Promise<number>((resolve) => client.once('exit', (code) => resolve(code ?? 1)));
    const agentLog = join(cluster.logs, `agent-${worker.name}.log`);
    await cluster.waitFor(
      () => {
        try {
          return /"command":"kubeadm join/.test(readFileSync(agentLog, 'utf8'));
        } catch {
          return false;
        }
      },
      120_000,
      'the worker join to start',
    );
    const agent = cluster.agents.get(worker.name)!;
    const exited = new Promise<number | null>((resolve) => agent.once('exit', (code) => resolve(code)));
    const stoppedAt = Date.now();
    agent.kill('SIGTERM');
    const code = await exited;
    // It waited for the join (the simulator holds it 4 s) rather than dying at once, and exited cleanly.
    expect(Date.now() - stoppedAt).toBeGreaterThan(1500);
    expect(code).toBe(0);
    expect(readFileSync(agentLog, 'utf8')).toMatch(/stopping: waiting for running tasks/);
    const joins = () => cluster.invocations().filter((i) => i.tool === 'kubeadm' && i.argv[0] === 'join' && i.root === cluster.root(worker.name));
    expect(joins().map((j) => j.exitCode)).toEqual([0]);

    // The deploy that sent the join completes: the result reached the coordinator before the session closed.
    cluster.startAgent(worker);
    expect(await deployed, chunks.join('').slice(-2000)).toBe(0);
    expect(chunks.join('')).toMatch(/2\/2 nodes joined/);
    const again = await cluster.ctl('deploy', '-f', cluster.specPath);
    expect(again.code, again.stderr).toBe(0);
    expect(joins()).toHaveLength(1);
  }, 180_000);
});
