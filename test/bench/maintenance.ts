/**
 * Maintenance benchmark: the same rolling upgrade, v1.31.4 → v1.32.0 of 3 control-plane nodes and a worker, twice in
 * one run, each on a fresh cluster (real keepalived, haproxy, etcd and VRRP in namespaces), under load through the VIP
 * (a new connection every 10 ms from the worker):
 * - `window`: `coordinatorctl upgrade --to v1.32.0`, every control-plane node inside the maintenance window;
 * - `kubeadm-only`: kubeadm's documented steps on each node in turn, run on the hosts themselves (kubeadm installed and
 *   held, `kubeadm upgrade apply` on the first node and `kubeadm upgrade node` elsewhere, `kubectl drain`, kubelet and
 *   kubectl installed, kubelet restarted, `kubectl uncordon`), the load balancers left as they are: what the other
 *   tools do.
 *
 * For each: the failed requests through the VIP, the longest gap between two answers, and per control-plane node the
 * time beyond kubeadm's own (the node's whole turn minus its `kubeadm upgrade` run). Target: 0 failed with the window.
 * Run alone: `npx vite-node test/bench/maintenance.ts` as root.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuilt } from '../e2e/build.js';
import { E2eCluster, LB_PORT, type E2eHost } from '../e2e/cluster.js';
import { canRunNetns } from '../netns/can-run.js';
import { loadUntilStopped, type LoadLoopResult } from '../netns/http-client.js';
import { runWhenEntry, type BenchResult, type BenchRow } from './result.js';

const FROM = 'v1.31.4';
const TO = 'v1.32.0';
const HOSTS: E2eHost[] = [
  { name: 'master-0', address: '198.18.0.11', role: 'control-plane' },
  { name: 'master-1', address: '198.18.0.12', role: 'control-plane' },
  { name: 'master-2', address: '198.18.0.13', role: 'control-plane' },
  { name: 'worker-0', address: '198.18.0.21', role: 'worker' },
];
const MASTERS = HOSTS.filter((h) => h.role === 'control-plane');
const LOAD_FROM = 'worker-0';
const LOAD_CHUNK_MS = 4000;

type Mode = 'window' | 'kubeadm-only';

interface Run {
  readonly failed: number;
  readonly ok: number;
  readonly longestGapMs: number;
  readonly totalMs: number;
  /** Per control-plane node: its turn, and its `kubeadm upgrade` run within it. */
  readonly nodes: { readonly name: string; readonly turnMs: number; readonly kubeadmMs: number }[];
}

function startLoad(c: E2eCluster): () => Promise<LoadLoopResult[]> {
  const load = loadUntilStopped({
    lab: c.lab,
    fromHost: LOAD_FROM,
    url: `https://${c.vip}:${LB_PORT}/healthz`,
    durationMs: LOAD_CHUNK_MS,
    intervalMs: 10,
    requestTimeoutMs: 5000,
  });
  return () => load.stop();
}

/** How long `kubeadm upgrade` ran on `host`, from the simulator's invocation log. */
function kubeadmUpgradeMs(c: E2eCluster, host: string, from: number, to: number): number {
  let ms = 0;
  for (const line of readFileSync(join(c.simState, 'invocations.jsonl'), 'utf8').split('\n')) {
    if (!line) continue;
    const i = JSON.parse(line) as { tool?: string; root?: string; argv: string[]; ts_start: number; ts_end: number };
    if (i.tool === 'kubeadm' && i.root === c.root(host) && i.argv[0] === 'upgrade' && i.argv[1] !== 'plan' && i.ts_start >= from && i.ts_end <= to)
      ms += i.ts_end - i.ts_start;
  }
  return ms;
}

/** Each control-plane node's turn in the coordinator's upgrade: from its window opening to its closing. */
function windowTurns(c: E2eCluster): Map<string, { from: number; to: number }> {
  const turns = new Map<string, { from: number; to: number }>();
  for (const line of c.coordinator!.readLog().split('\n')) {
    if (!line.startsWith('{')) continue;
    const e = JSON.parse(line) as { time: number; host?: string; phase?: string; msg: string };
    if (e.phase !== 'upgrade-control-plane' || !e.host) continue;
    if (e.msg === 'maintenance window opens') turns.set(e.host, { from: e.time, to: 0 });
    else if (e.msg.startsWith('maintenance window closed')) turns.get(e.host)!.to = e.time;
  }
  return turns;
}

/** kubeadm's documented upgrade of one node, run on the node itself: https://kubernetes.io/docs/tasks/administer-cluster/kubeadm/kubeadm-upgrade/ */
async function kubeadmOnlyUpgrade(c: E2eCluster, host: E2eHost, first: boolean): Promise<void> {
  const version = TO.slice(1);
  const kubectl = ['kubectl', '--kubeconfig', '/etc/kubernetes/admin.conf'];
  const steps: string[][] = [
    ['apt-mark', 'unhold', 'kubeadm'],
    ['apt-get', 'install', '-y', `kubeadm=${version}-*`],
    ['apt-mark', 'hold', 'kubeadm'],
    host.role === 'control-plane' && first ? ['kubeadm', 'upgrade', 'apply', TO, '-y'] : ['kubeadm', 'upgrade', 'node'],
    [...kubectl, 'drain', host.name, '--ignore-daemonsets', '--delete-emptydir-data'],
    ['apt-mark', 'unhold', 'kubelet', 'kubectl'],
    ['apt-get', 'install', '-y', `kubelet=${version}-*`, `kubectl=${version}-*`],
    ['apt-mark', 'hold', 'kubelet', 'kubectl'],
    ['systemctl', 'daemon-reload'],
    ['systemctl', 'restart', 'kubelet'],
    [...kubectl, 'uncordon', host.name],
  ];
  // A worker has no admin.conf: its drain and uncordon go through the first control-plane node.
  const through = (argv: string[]) => (host.role === 'worker' && argv[0] === 'kubectl' ? MASTERS[0]! : host);
  for (const argv of steps) {
    const on = through(argv);
    const r = await c.lab.exec(on.name, argv[0]!, argv.slice(1), { env: c.agentEnv(on), reject: false, timeoutMs: 600_000 });
    if (r.exitCode !== 0) throw new Error(`${host.name}: ${argv.join(' ')} exited ${r.exitCode}: ${r.stderr.slice(-500)}`);
  }
}

async function upgradeOnce(mode: Mode): Promise<Run> {
  const c = await E2eCluster.create({
    name: `bench-maint-${mode}`,
    hosts: HOSTS,
    agentEnv: { KUBEADM_SIM_PACKAGE_VERSIONS: `${FROM.slice(1)} ${TO.slice(1)}` },
  });
  try {
    for (const h of HOSTS) {
      mkdirSync(join(c.root(h.name), 'etc'), { recursive: true });
      writeFileSync(join(c.root(h.name), 'etc/os-release'), 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n');
    }
    await c.bringUp();
    const deployed = await c.deploy();
    if (deployed.code !== 0) throw new Error(`deploy failed (logs in ${c.logs()}): ${deployed.stderr.slice(-1000)}`);
    const stopLoad = startLoad(c);
    const started = Date.now();
    const nodes: Run['nodes'][number][] = [];
    let chunks: LoadLoopResult[] = [];
    try {
      if (mode === 'window') {
        const r = await c.ctl(['upgrade', '--to', TO], 1_800_000);
        if (r.code !== 0) throw new Error(`coordinatorctl upgrade failed (logs in ${c.logs()}): ${r.stdout.slice(-1500)}${r.stderr.slice(-500)}`);
        for (const [name, turn] of windowTurns(c)) nodes.push({ name, turnMs: turn.to - turn.from, kubeadmMs: kubeadmUpgradeMs(c, name, turn.from, turn.to) });
      } else {
        for (const [i, host] of HOSTS.entries()) {
          const from = Date.now();
          await kubeadmOnlyUpgrade(c, host, i === 0);
          const to = Date.now();
          if (host.role === 'control-plane') nodes.push({ name: host.name, turnMs: to - from, kubeadmMs: kubeadmUpgradeMs(c, host.name, from, to) });
        }
      }
    } finally {
      chunks = await stopLoad();
    }
    return {
      ok: chunks.reduce((n, r) => n + r.ok, 0),
      failed: chunks.reduce((n, r) => n + r.failed, 0),
      longestGapMs: Math.max(...chunks.map((r) => r.longestGapMs)),
      totalMs: Date.now() - started,
      nodes,
    };
  } finally {
    if (process.env.KHA_BENCH_KEEP) console.error('kept', c.dir);
    await c.destroy();
  }
}

export async function benchMaintenance(): Promise<BenchResult> {
  const can = canRunNetns();
  if (!can.ok) throw new Error(`needs network namespaces: ${can.reason}`);
  await ensureBuilt();
  const rows: BenchRow[] = [];
  const runs = new Map<Mode, Run>();
  for (const mode of ['window', 'kubeadm-only'] as const) runs.set(mode, await upgradeOnce(mode));
  for (const [mode, run] of runs) {
    rows.push(
      {
        metric: `${mode}: failed requests through the VIP`,
        value: run.failed,
        unit: `of ${run.ok + run.failed}`,
        ...(mode === 'window' ? { target: '0' } : {}),
      },
      { metric: `${mode}: longest gap between answers`, value: run.longestGapMs, unit: 'ms' },
      { metric: `${mode}: whole upgrade`, value: Math.round(run.totalMs / 100) / 10, unit: 's' },
    );
    for (const n of run.nodes)
      rows.push({
        metric: `${mode}: ${n.name} beyond kubeadm's own (turn ${n.turnMs} ms, kubeadm ${n.kubeadmMs} ms)`,
        value: n.turnMs - n.kubeadmMs,
        unit: 'ms',
      });
  }
  return { name: `maintenance: rolling upgrade ${FROM} → ${TO} of 3 control-plane nodes and a worker under load, with and without the window`, rows };
}

await runWhenEntry(import.meta.url, benchMaintenance);
