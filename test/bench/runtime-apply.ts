import { runWhenEntry, type BenchResult } from './result.js';
/**
 * Benchmark: against one real haproxy, the time from the applier receiving a backend-set change to haproxy's runtime
 * API having applied it (target: median ≤ 20 ms). N changes alternate between adding a fifth server and removing it
 * (no sessions on it, so the removal is maintenance + delete at once). Each change goes through the whole product
 * path: render, `haproxy -c` (alongside), runtime API, atomic write of haproxy.cfg, report; the full apply time is
 * reported next to the receive → runtime time.
 *
 * It also times the ways of talking to the stats socket, which is how the applier's interactive sessions were chosen.
 *
 * Run alone: `npx vite-node test/bench/runtime-apply.ts` (prints a table, then the JSON).
 */
import { createBackendApplier, type RuntimeAppliedEvent } from '../../agent/lb/applier.js';
import { sendLine } from '../../agent/lb/haproxy-runtime.js';
import { silentLogger } from '../../lib/log.js';
import { ADMIN_SOCKET, CONFIG_PATH, HaproxyTestbed, MASTER_SOCKET, backendSet } from './haproxy-testbed.js';

const CHANGES = 50;
const WARMUP_CHANGES = 2;
const SOCKET_SAMPLES = 100;

export async function benchRuntimeApply(): Promise<BenchResult> {
  const bed = await HaproxyTestbed.create('bench');
  try {
    const api = await Promise.all(['master-0', 'master-1', 'master-2', 'master-3', 'master-4'].map((n) => bed.startApiserver(n)));
    const steady = api.slice(0, 4).map((a) => bed.backendOf(a));
    const toggled = bed.backendOf(api[4]!);
    let version = 1;
    await bed.writeConfig(backendSet(version, steady));
    await bed.startHaproxy();

    const runtimeMs = new Map<number, number>();
    const applier = await createBackendApplier({
      host: bed.host,
      socketPath: ADMIN_SOCKET,
      masterSocketPath: MASTER_SOCKET,
      configPath: CONFIG_PATH,
      render: bed.render,
      addServerCommand: bed.addServerCommand,
      drainTimeoutMs: 5000,
      logger: silentLogger,
      onApplied: () => undefined,
      onRuntimeApplied: (e: RuntimeAppliedEvent) => runtimeMs.set(e.version, e.elapsedMs),
    });

    const receiveToRuntime: number[] = [];
    const receiveToApplied: number[] = [];
    for (let i = 0; i < WARMUP_CHANGES + CHANGES; i++) {
      version++;
      const set = backendSet(version, i % 2 === 0 ? [...steady, toggled] : steady);
      const started = performance.now();
      const outcome = await applier.apply(set);
      const total = performance.now() - started;
      if (outcome !== 'applied') throw new Error(`change ${version}: ${outcome}, expected applied`);
      const servers = await bed.runtime.showServersState('kube-apiserver');
      if (servers.some((s) => s.name === toggled.name) !== (i % 2 === 0)) throw new Error(`change ${version} is not what haproxy runs`);
      if (i < WARMUP_CHANGES) continue;
      receiveToRuntime.push(runtimeMs.get(version)!);
      receiveToApplied.push(total);
    }

    // What one add costs on the socket: read the servers, then add, start the check, enable (and undo it untimed).
    const read = 'show servers state kube-apiserver';
    const add = [bed.addServerCommand(toggled), `enable health kube-apiserver/${toggled.name}`, `enable server kube-apiserver/${toggled.name}`];
    const undo = () => bed.runtime.run([`set server kube-apiserver/${toggled.name} state maint`, `del server kube-apiserver/${toggled.name}`]);
    const [sessionMs = [], batchMs = [], connectionsMs = []] = await timeInTurns(
      [
        () => bed.runtime.withSession((s) => runInOrder([read, ...add], (c) => s.send(c))),
        async () => {
          await sendLine(bed.runtime.socketPath, read);
          await sendLine(bed.runtime.socketPath, add.join(';'));
        },
        () => runInOrder([read, ...add], (c) => sendLine(bed.runtime.socketPath, c)),
      ],
      undo,
    );

    const rt = summary(receiveToRuntime);
    const all = summary(receiveToApplied);
    return {
      name: `runtime-apply: receive → haproxy runtime API applied (real haproxy, ${CHANGES} changes alternating add/remove, after ${WARMUP_CHANGES} warm-up)`,
      rows: [
        { metric: 'receive → runtime applied, median', value: rt.median, unit: 'ms', target: '≤ 20 ms' },
        { metric: 'receive → runtime applied, p90', value: rt.p90, unit: 'ms' },
        { metric: 'receive → runtime applied, max', value: rt.max, unit: 'ms' },
        { metric: 'receive → applied (+ haproxy -c, file, report), median', value: all.median, unit: 'ms' },
        { metric: 'receive → applied (+ haproxy -c, file, report), p90', value: all.p90, unit: 'ms' },
        { metric: 'receive → applied (+ haproxy -c, file, report), max', value: all.max, unit: 'ms' },
        { metric: 'socket cost of an add (read + 3 commands): one interactive session, median', value: summary(sessionMs).median, unit: 'ms' },
        { metric: 'socket cost of an add: read, then the 3 as one ;-batch, median', value: summary(batchMs).median, unit: 'ms' },
        { metric: 'socket cost of an add: one connection per command, median', value: summary(connectionsMs).median, unit: 'ms' },
      ],
    };
  } finally {
    await bed.close();
  }
}

async function runInOrder(commands: readonly string[], send: (command: string) => Promise<string>): Promise<void> {
  for (const c of commands) await send(c);
}

/** Each way in turn, sample after sample, so that load on the host weighs on all of them alike. */
async function timeInTurns(ways: readonly (() => Promise<unknown>)[], reset: () => Promise<unknown>): Promise<number[][]> {
  const out = ways.map(() => [] as number[]);
  for (let i = 0; i < SOCKET_SAMPLES; i++) {
    for (const [w, run] of ways.entries()) {
      const started = performance.now();
      await run();
      out[w]!.push(performance.now() - started);
      await reset();
    }
  }
  return out;
}

function summary(values: readonly number[]): { median: number; p90: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  const round = (n: number) => Math.round(n * 100) / 100;
  return { median: round(at(0.5)), p90: round(at(0.9)), max: round(sorted.at(-1)!) };
}

await runWhenEntry(import.meta.url, benchRuntimeApply);
