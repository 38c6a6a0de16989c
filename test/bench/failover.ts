/**
 * Failover time of the apiserver VIP, from the fault to the first 200 from https://VIP:8443/healthz seen by a worker,
 * for three faults on the VIP holder: keepalived SIGKILLed, link down (switch port down), haproxy SIGKILLed.
 *
 * Two setups in one run, each a real deploy (coordinator, agents, kubelet stand-ins, real keepalived/haproxy):
 * - `default`: the product's defaults (VRRPv3, advert 200 ms, weight-0 track file, agent fast path on haproxy);
 * - `seed-000`: seed 000's keepalived timing (check script `interval 3`, `fall 10`, `advert_int 1`) written into the
 *   deployed keepalived.conf, agents stopped (seed 000 has no agent), so only keepalived itself reacts.
 *
 * Trials per kind: BENCH_FAILOVER_TRIALS (default 10). Run alone: `npx vite-node test/bench/failover.ts` as root.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { E2eCluster, type E2eHost } from '../e2e/cluster.js';
import { ensureBuilt } from '../e2e/build.js';
import { canRunNetns } from '../netns/can-run.js';
import { sleep } from '../netns/proc.js';
import { runWhenEntry, type BenchResult } from './result.js';

type FaultKind = 'keepalived-killed' | 'link-down' | 'haproxy-killed';
const KINDS: FaultKind[] = ['keepalived-killed', 'link-down', 'haproxy-killed'];
const HOSTS: E2eHost[] = [
  { name: 'master-0', address: '198.18.0.11', role: 'control-plane' },
  { name: 'master-1', address: '198.18.0.12', role: 'control-plane' },
  { name: 'master-2', address: '198.18.0.13', role: 'control-plane' },
  { name: 'worker-0', address: '198.18.0.21', role: 'worker' },
];
const OBSERVER = 'worker-0';
const MASTERS = HOSTS.filter((h) => h.role === 'control-plane').map((h) => h.name);
const FAULT_TIMEOUT_MS = 90_000;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * A probe sent just before the VIP moves waits for its whole timeout on the old holder, which would round every
 * measurement up to the next probe; so probes overlap: a new one every PROBE_EVERY_MS, and the first 200 wins.
 */
const PROBE_EVERY_MS = 50;
const PROBE_TIMEOUT_MS = 400;
const MAX_PROBES_IN_FLIGHT = 10;

function firstOk(c: E2eCluster, since: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let done = false;
    let inFlight = 0;
    const tick = (): void => {
      if (done) return;
      if (Date.now() - since > FAULT_TIMEOUT_MS) {
        done = true;
        reject(new Error(`no 200 through the VIP within ${FAULT_TIMEOUT_MS} ms`));
        return;
      }
      if (inFlight < MAX_PROBES_IN_FLIGHT) {
        inFlight++;
        c.healthz(OBSERVER, PROBE_TIMEOUT_MS).then(
          (r) => {
            inFlight--;
            if (!done && r.status === 200) {
              done = true;
              resolve(Date.now() - since);
            }
          },
          () => inFlight--,
        );
      }
      setTimeout(tick, PROBE_EVERY_MS);
    };
    tick();
  });
}

/** Back to one holder, every daemon running, every backend UP, and the VIP answering: the start of a fair trial. */
async function settle(c: E2eCluster): Promise<string> {
  for (const m of MASTERS) {
    await c.standins.get(m)!.waitUntilRunning('keepalived', { timeoutMs: 60_000 });
    await c.standins.get(m)!.waitUntilRunning('haproxy', { timeoutMs: 60_000 });
  }
  await c.waitFor(
    async () => {
      for (const m of MASTERS) if (Object.values(await c.backendStates(m)).filter((s) => s === 'UP').length !== MASTERS.length) return false;
      return true;
    },
    60_000,
    'every backend UP',
  );
  const { holders } = await c.lab.waitForHolders(c.vip, (hs) => hs.length === 1, { timeoutMs: 30_000 });
  // Let the check scripts and the agent's watcher see the healthy haproxy before the next fault.
  await sleep(3_500);
  await firstOk(c, Date.now());
  return holders[0]!;
}

/**
 * What the observer and the masters saw every 100 ms during a trial (VIP holders, the observer's neighbour entry for
 * the VIP): printed for a trial that missed the target, so an outlier is explained rather than averaged away. (It
 * found the 5.6 s outliers: two simultaneous masters, the clients' ARP left on the one that yielded.)
 */
function startTimeline(c: E2eCluster, t0: number): { stop(): string[] } {
  const lines: string[] = [];
  let stopped = false;
  void (async () => {
    while (!stopped) {
      const [holders, neigh] = await Promise.all([c.lab.whoHolds(c.vip), c.lab.exec(OBSERVER, 'ip', ['neigh', 'show', c.vip], { reject: false })]);
      lines.push(`+${Date.now() - t0} ms holders=${holders.join(',') || '-'} ${OBSERVER} neigh: ${neigh.stdout.trim() || '-'}`);
      await sleep(100);
    }
  })();
  return {
    stop() {
      stopped = true;
      return lines;
    },
  };
}

/** `explainOverMs`: print the timeline of a trial slower than this (the target's max; none for seed 000's timing). */
async function trial(c: E2eCluster, kind: FaultKind, log: (line: string) => void, explainOverMs = Infinity): Promise<number> {
  const holder = await settle(c);
  const t0 = Date.now();
  const timeline = startTimeline(c, t0);
  if (kind === 'keepalived-killed') c.standins.get(holder)!.kill('keepalived', 'SIGKILL');
  else if (kind === 'haproxy-killed') c.standins.get(holder)!.kill('haproxy', 'SIGKILL');
  else await c.lab.linkDown(holder);
  let ms = -1;
  try {
    // A SIGKILLed keepalived cannot withdraw its VIP, and its haproxy still answers there: the first 200 says nothing.
    // What matters is another master taking the VIP (and answering), so that is measured.
    if (kind === 'keepalived-killed') {
      await c.lab.waitForHolders(c.vip, (hs) => hs.some((h) => h !== holder), { timeoutMs: FAULT_TIMEOUT_MS, intervalMs: 10 });
    }
    ms = await firstOk(c, t0);
    return ms;
  } finally {
    const lines = timeline.stop();
    if (ms < 0 || ms > explainOverMs) log(`${kind} on ${holder} took ${ms < 0 ? 'too long' : `${ms} ms`}; what was seen:\n  ${lines.join('\n  ')}`);
    if (kind === 'link-down') await c.lab.linkUp(holder);
  }
}

/** seed 000: `interval 3`, `fall 10` on the check script, `advert_int 1`; keepalived restarted on the new file. */
async function applySeed000Timing(c: E2eCluster): Promise<void> {
  for (const m of MASTERS) {
    const path = join(c.root(m), 'etc/keepalived/keepalived.conf');
    const conf = readFileSync(path, 'utf8')
      .replace(/^(\s*)interval \d+$/m, '$1interval 3')
      .replace(/^(\s*)fall \d+$/m, '$1fall 10')
      .replace(/^(\s*)advert_int [\d.]+$/m, '$1advert_int 1');
    if (!conf.includes('interval 3') || !conf.includes('fall 10') || !conf.includes('advert_int 1\n'))
      throw new Error(`cannot apply seed 000 timing to ${path}`);
    writeFileSync(path, conf);
  }
  for (const m of MASTERS) {
    c.standins.get(m)!.kill('keepalived', 'SIGTERM');
    await c.standins.get(m)!.waitUntilRunning('keepalived', { timeoutMs: 60_000 });
  }
}

async function measureSetup(setup: 'default' | 'seed-000', trials: number, log: (line: string) => void): Promise<Map<FaultKind, number[]>> {
  const c = await E2eCluster.create({
    name: `bench-${setup}`,
    hosts: HOSTS,
    prefix: 'khabench',
    ...(setup === 'seed-000' ? { endpointExtra: '      advertIntervalMs: 1000' } : {}),
    standinBackoff: { initialMs: 500, maxMs: 1000 },
  });
  const out = new Map<FaultKind, number[]>();
  try {
    await c.bringUp();
    const r = await c.deploy();
    if (r.code !== 0) throw new Error(`deploy failed (logs in ${c.logs()}): ${r.stderr.slice(-2000)}`);
    if (setup === 'seed-000') {
      await Promise.all([...c.agents.values()].map((a) => a.stop({ graceMs: 3000 })));
      await applySeed000Timing(c);
    }
    for (const kind of KINDS) {
      const samples: number[] = [];
      for (let i = 0; i < trials; i++) {
        const ms = await trial(c, kind, log, setup === 'default' ? 2_000 : Infinity);
        samples.push(ms);
        log(`failover ${setup} ${kind} #${i + 1}: ${ms} ms`);
      }
      out.set(kind, samples);
    }
  } finally {
    await c.destroy();
  }
  return out;
}

export async function benchFailover(): Promise<BenchResult> {
  const can = canRunNetns();
  if (!can.ok) throw new Error(`needs network namespaces: ${can.reason}`);
  await ensureBuilt();
  const trials = Number(process.env.BENCH_FAILOVER_TRIALS ?? 10);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const rows: BenchResult['rows'] = [];
  for (const setup of ['default', 'seed-000'] as const) {
    const results = await measureSetup(setup, trials, log);
    for (const kind of KINDS) {
      const samples = results.get(kind)!;
      const what = kind === 'keepalived-killed' ? 'another master holds the VIP and answers' : 'first 200 via VIP';
      rows.push({
        metric: `${setup} ${kind}: p50 fault → ${what} (${samples.length} trials)`,
        value: percentile(samples, 50),
        unit: 'ms',
        ...(setup === 'default' ? { target: '≤ 1000' } : {}),
      });
      rows.push({ metric: `${setup} ${kind}: max`, value: Math.max(...samples), unit: 'ms', ...(setup === 'default' ? { target: '≤ 2000' } : {}) });
    }
  }
  return { name: 'failover', rows };
}

await runWhenEntry(import.meta.url, benchFailover);
