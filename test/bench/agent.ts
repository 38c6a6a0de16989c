/**
 * Agent benchmark (issue "Packaging"): cold start to "registered" on loopback, for the Node build and, when built, the
 * single-file binary; and the agent's idle RSS once its host has joined a cluster, with where that memory goes (issue
 * "Fleet scale"): anonymous memory (the V8 heap, malloc, stacks) against pages of the executable itself, the V8 heap by
 * space, the same executable before it runs any of our code, and what each large dependency costs on the heap.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LoopbackCluster, type LoopbackHost } from '../integration/loopback-cluster.js';
import { REPO_ROOT } from '../kubeadm-sim/testing.js';
import { runWhenEntry, type BenchResult, type BenchRow } from './result.js';

const SEA_AGENT = join(REPO_ROOT, 'dist/bin/kubeadm-ha-agent');

/**
 * Preloaded into the measured agent with NODE_OPTIONS=--require (a single-file binary honours NODE_OPTIONS as node
 * does), since the V8 figures can only be read from inside. It removes NODE_OPTIONS from the environment so the
 * commands the agent runs do not load it, and costs a few kilobytes. On SIGUSR2 it writes the figures to
 * $KHA_MEM_PROBE. With KHA_MEM_PROBE_HOLD it blocks before the agent's script runs: the runtime's own baseline.
 */
const PROBE = `'use strict';
const fs = require('node:fs');
const v8 = require('node:v8');
const out = process.env.KHA_MEM_PROBE;
const hold = process.env.KHA_MEM_PROBE_HOLD;
delete process.env.KHA_MEM_PROBE;
delete process.env.KHA_MEM_PROBE_HOLD;
delete process.env.NODE_OPTIONS;
if (hold) {
  fs.writeFileSync(out, 'holding');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}
process.on('SIGUSR2', () => {
  const tmp = out + '.tmp';
  fs.writeFileSync(tmp, JSON.stringify({ memory: process.memoryUsage(), spaces: v8.getHeapSpaceStatistics() }));
  fs.renameSync(tmp, out);
});
`;

interface ProbeReport {
  memory: NodeJS.MemoryUsage;
  spaces: { space_name: string; space_used_size: number; physical_space_size: number }[];
}

const mb = (bytes: number) => Math.round(bytes / 104857.6) / 10;

/** Resident memory from /proc: all of it, the anonymous part, and the rest (pages mapped from files, mostly the executable). */
function residentMb(pid: number): { rss: number; anon: number; file: number } {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1] ?? 0);
  const [rss, anon] = [kb('Rss'), kb('Anonymous')];
  return { rss: mb(rss * 1024), anon: mb(anon * 1024), file: mb((rss - anon) * 1024) };
}

async function waitForFile(path: string, timeoutMs: number): Promise<string> {
  const start = Date.now();
  for (;;) {
    if (existsSync(path)) return readFileSync(path, 'utf8');
    if (Date.now() - start > timeoutMs) throw new Error(`no ${path} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The cluster, with the memory probe preloaded into the agents of the hosts named in `probed`. */
class ProbedCluster extends LoopbackCluster {
  readonly probe = join(this.dir, 'mem-probe.cjs');
  readonly probed = new Set<string>();

  constructor(hosts: LoopbackHost[]) {
    super({ hosts, vip: '127.0.3.100/24' });
    writeFileSync(this.probe, PROBE);
  }

  probeOutput(host: string): string {
    return join(this.dir, `mem-probe-${host}.json`);
  }

  override agentEnv(host: LoopbackHost): Record<string, string> {
    const env = super.agentEnv(host);
    return this.probed.has(host.name) ? { ...env, NODE_OPTIONS: `--require ${this.probe}`, KHA_MEM_PROBE: this.probeOutput(host.name) } : env;
  }
}

/**
 * Drops `file` from the page cache, so the measured agent maps the executable as read back from disk, as it is after
 * a reboot or an install. The build has just written it in a few large writes, and a kernel with large page-cache
 * folios (ext4 on Linux 6.x here) then maps it in larger pieces: for `--version`, 53 MB file-backed straight from the
 * build against 41 MB for the same bytes unpacked by `dpkg-deb -x`, copied by cp, or evicted and read again.
 * Nothing may have it mapped meanwhile.
 */
async function evictFromPageCache(file: string): Promise<void> {
  await promisify(execFile)('sync', [file]);
  await promisify(execFile)('dd', [`if=${file}`, 'iflag=nocache', 'count=0']);
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

/** The executable (or node and the script) started with the probe holding it before any of our code runs. */
async function runtimeBaseline(cluster: ProbedCluster, binary: string | undefined): Promise<{ rss: number; anon: number; file: number }> {
  const out = join(cluster.dir, 'mem-probe-baseline.json');
  const [cmd, args] = binary ? [binary, ['--version']] : [process.execPath, [join(REPO_ROOT, 'dist/agent/main.js'), '--version']];
  const child = execFile(cmd, args, { env: { NODE_OPTIONS: `--require ${cluster.probe}`, KHA_MEM_PROBE: out, KHA_MEM_PROBE_HOLD: '1' } });
  try {
    await waitForFile(out, 10_000);
    await new Promise((r) => setTimeout(r, 1000));
    return residentMb(child.pid!);
  } finally {
    child.kill('SIGKILL');
  }
}

/**
 * Heap growth (after a full GC) from importing `specifiers` alone into a fresh node: what a dependency costs once
 * loaded. Imported from node_modules, so each module's source text counts too (the single-file binary holds one
 * source for all). The node running the bench, not the binary's.
 */
async function importCostMb(specifiers: readonly string[]): Promise<number> {
  const script = `const h = () => { gc(); gc(); return process.memoryUsage().heapUsed; };
const before = h();
for (const s of ${JSON.stringify(specifiers)}) await import(s);
process.stdout.write(String(h() - before));`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { cwd: REPO_ROOT });
  return mb(Number(stdout));
}

/**
 * The dependencies worth knowing the cost of, by what the agent uses them for. The single-file binary evaluates all
 * of them at start (one bundle), except @peculiar/x509, imported when the agent registers (agent/identity.ts).
 */
const MODULES: readonly [string, readonly string[]][] = [
  ['@grpc/grpc-js (session)', ['@grpc/grpc-js']],
  ['@grpc/proto-loader + protobufjs (session)', ['@grpc/proto-loader']],
  ['the gRPC contracts, loaded (proto/index)', ['@grpc/grpc-js', '@grpc/proto-loader', join(REPO_ROOT, 'dist/proto/index.js')]],
  ['@nats-io transport-node + jetstream + kv (backend set)', ['@nats-io/transport-node', '@nats-io/jetstream', '@nats-io/kv']],
  ['zod (config, backend set)', ['zod']],
  ['yaml (config)', ['yaml']],
  ['handlebars (haproxy.cfg)', ['handlebars']],
  ['execa (host commands)', ['execa']],
  ['pino (log)', ['pino']],
  ['@peculiar/x509 + reflect-metadata (CSR at registration)', ['reflect-metadata', '@peculiar/x509']],
];

export async function benchAgent(): Promise<BenchResult> {
  const hosts: LoopbackHost[] = [
    { name: 'master-0', address: '127.0.3.11', role: 'control-plane' },
    { name: 'cold-node', address: '127.0.3.21', role: 'worker' },
    { name: 'cold-sea', address: '127.0.3.22', role: 'worker' },
  ];
  const cluster = new ProbedCluster([hosts[0]!]);
  try {
    await cluster.startCoordinator();
    await cluster.createAgentConfig();
    const rows: BenchRow[] = [];
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
    if (sea) {
      // It maps the executable too: stopped first, or its pages stay. Killed: how it stops is not measured here.
      const cold = cluster.agents.get(hosts[2]!.name)!;
      const exited = new Promise((r) => cold.once('exit', r));
      cold.kill('SIGKILL');
      await exited;
      // destroy() waits for every agent whose exitCode is null, which a killed one keeps.
      cluster.agents.delete(hosts[2]!.name);
      await evictFromPageCache(SEA_AGENT);
    }
    cluster.probed.add(hosts[0]!.name);
    const agent = cluster.startAgent(hosts[0]!, sea ? SEA_AGENT : undefined);
    const deploy = await cluster.ctl('deploy', '-f', cluster.specPath);
    if (deploy.code !== 0) throw new Error(`deploy failed: ${deploy.stderr.slice(-1000)}`);
    await new Promise((r) => setTimeout(r, 5000));
    const what = sea ? 'single-file binary' : 'node dist/agent/main.js';
    const idle = residentMb(agent.pid!);
    rows.push({
      metric: `agent idle RSS after joining (${what}, control-plane, following the backend set)`,
      value: idle.rss,
      unit: 'MB',
      target: '<= 80',
    });
    const out = cluster.probeOutput(hosts[0]!.name);
    agent.kill('SIGUSR2');
    const probe = JSON.parse(await waitForFile(out, 10_000)) as ProbeReport;
    const space = (...names: string[]) => probe.spaces.filter((s) => names.includes(s.space_name)).reduce((sum, s) => sum + s.physical_space_size, 0);
    const baseline = await runtimeBaseline(cluster, sea ? SEA_AGENT : undefined);
    rows.push(
      { metric: 'agent idle RSS: anonymous (V8 heap, malloc, thread stacks)', value: idle.anon, unit: 'MB' },
      { metric: 'agent idle RSS: file-backed (pages of the executable read from disk: Node, V8, OpenSSL, ICU, the script)', value: idle.file, unit: 'MB' },
      { metric: 'agent idle V8 heap used', value: mb(probe.memory.heapUsed), unit: 'MB' },
      { metric: 'agent idle V8 heap committed (physical)', value: mb(space(...probe.spaces.map((s) => s.space_name))), unit: 'MB' },
      { metric: 'agent idle V8 heap: old space (objects, strings)', value: mb(space('old_space')), unit: 'MB' },
      { metric: 'agent idle V8 heap: new space (young objects)', value: mb(space('new_space', 'new_large_object_space')), unit: 'MB' },
      { metric: 'agent idle V8 heap: large objects (mostly the bundled script source)', value: mb(space('large_object_space')), unit: 'MB' },
      {
        metric: 'agent idle V8 heap: bytecode and machine code (trusted and code spaces)',
        value: mb(space('trusted_space', 'trusted_large_object_space', 'code_space', 'code_large_object_space')),
        unit: 'MB',
      },
      // Mostly Node's own modules' sources, which V8 reads in place from the executable (so they count as file-backed).
      { metric: "agent idle V8 external memory (Node's built-in sources, Buffers)", value: mb(probe.memory.external), unit: 'MB' },
      { metric: 'agent idle Buffers and ArrayBuffers', value: mb(probe.memory.arrayBuffers), unit: 'MB' },
      { metric: `runtime alone: the same ${sea ? 'executable' : 'node'}, held before our script runs, RSS`, value: baseline.rss, unit: 'MB' },
      { metric: 'runtime alone: anonymous', value: baseline.anon, unit: 'MB' },
      { metric: 'runtime alone: file-backed', value: baseline.file, unit: 'MB' },
    );
    for (const [name, specifiers] of MODULES) {
      rows.push({ metric: `module heap cost, imported alone into node ${process.version}: ${name}`, value: await importCostMb(specifiers), unit: 'MB' });
    }
    return { name: 'agent', rows };
  } finally {
    await cluster.destroy();
  }
}

await runWhenEntry(import.meta.url, benchAgent);
