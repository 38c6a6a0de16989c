/**
 * Instruments and loads for the failover benchmark (failover.ts), kept out of the trial logic:
 * - VipWatch: `ip -ts monitor address` on every master (and `monitor neigh` on the observer), so every VIP add and
 *   removal is seen with the kernel event's time, none missed between polls;
 * - Prober: one long-lived client in the observer's namespace starting a fresh HTTPS GET /healthz through the VIP
 *   every PROBE_EVERY_MS. A process per probe (curl) cost tens of ms of spawn and TLS set-up per sample on this
 *   machine, which the figures then carried; a resident prober measures the failover, not the instrument;
 * - the load for the false-failover run: stress-ng pinned with the holder's processes, a shaped and filled link.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import type { Lab, LabProcess } from '../netns/harness.js';
import { descendantsOf, sleep } from '../netns/proc.js';

/** Reads what a lab process appended to its log since the last call, whole lines only. */
class LogTail {
  private offset = 0;
  private partial = '';
  constructor(private readonly path: string) {}

  lines(): string[] {
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch {
      return [];
    }
    try {
      const chunks: Buffer[] = [];
      const buf = Buffer.alloc(1 << 16);
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, this.offset);
        if (n <= 0) break;
        this.offset += n;
        chunks.push(Buffer.from(buf.subarray(0, n)));
      }
      const text = this.partial + Buffer.concat(chunks).toString('utf8');
      const parts = text.split('\n');
      this.partial = parts.pop() ?? '';
      return parts;
    } finally {
      closeSync(fd);
    }
  }
}

/** `[2026-12-04T16:05:03.324448]` from `ip -ts`: local time (ip and node share the machine's zone), to the ms. */
function ipTimestamp(line: string): number | undefined {
  const m = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{3})\d*\]/.exec(line);
  return m ? new Date(`${m[1]}.${m[2]}`).getTime() : undefined;
}

export interface VipEvent {
  readonly host: string;
  readonly atMs: number;
  readonly added: boolean;
}

export class VipWatch {
  readonly events: VipEvent[] = [];
  readonly neighbour: { atMs: number; line: string }[] = [];
  private readonly tails: { host: string; tail: LogTail; proc: LabProcess }[] = [];
  private readonly neigh: { tail: LogTail; proc: LabProcess };

  constructor(
    lab: Lab,
    private readonly vip: string,
    masters: readonly string[],
    observer: string,
  ) {
    for (const host of masters) {
      const proc = lab.spawn(host, 'ip', ['-ts', 'monitor', 'address', 'dev', 'eth0'], { name: 'vip-watch' });
      this.tails.push({ host, tail: new LogTail(proc.logPath), proc });
    }
    const proc = lab.spawn(observer, 'ip', ['-ts', 'monitor', 'neigh', 'dev', 'eth0'], { name: 'neigh-watch' });
    this.neigh = { tail: new LogTail(proc.logPath), proc };
  }

  /** Reads what the monitors printed since the last call. */
  poll(): void {
    const inet = new RegExp(`\\binet ${this.vip.replaceAll('.', '\\.')}/`);
    for (const { host, tail } of this.tails) {
      for (const line of tail.lines()) {
        const atMs = ipTimestamp(line);
        if (atMs === undefined || !inet.test(line)) continue;
        this.events.push({ host, atMs, added: !/\] Deleted /.test(line) });
      }
    }
    for (const line of this.neigh.tail.lines()) {
      const atMs = ipTimestamp(line);
      if (atMs !== undefined && line.includes(` ${this.vip} `)) this.neighbour.push({ atMs, line: line.replace(/^\[[^\]]*\] /, '') });
    }
  }

  /** The first time after `sinceMs` that a host other than `except` added the VIP. */
  async firstAddOnOtherThan(except: string, sinceMs: number, timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.poll();
      const e = this.events.find((x) => x.added && x.host !== except && x.atMs >= sinceMs);
      if (e) return e.atMs;
      if (Date.now() > deadline) throw new Error(`no master other than ${except} took the VIP within ${timeoutMs} ms`);
      await sleep(5);
    }
  }

  /** Every VIP add/removal and neighbour change for the VIP in [fromMs, toMs], as lines relative to `zeroMs` (the fault). */
  describe(fromMs: number, toMs: number, zeroMs = fromMs): string[] {
    this.poll();
    const lines = [
      ...this.events
        .filter((e) => e.atMs >= fromMs && e.atMs <= toMs)
        .map((e) => ({ atMs: e.atMs, text: `${e.host} ${e.added ? 'added' : 'removed'} the VIP` })),
      ...this.neighbour.filter((n) => n.atMs >= fromMs && n.atMs <= toMs).map((n) => ({ atMs: n.atMs, text: `observer neighbour: ${n.line}` })),
    ];
    return lines.sort((a, b) => a.atMs - b.atMs).map((l) => `${l.atMs >= zeroMs ? '+' : ''}${l.atMs - zeroMs} ms ${l.text}`);
  }

  /** The monitors' pids, which must not be pinned with the holder's processes. */
  pids(): number[] {
    return [...this.tails.map((t) => t.proc.spawnedPid), this.neigh.proc.spawnedPid].flatMap((pid) => [pid, ...descendantsOf(pid).map((d) => d.pid)]);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.tails.map((t) => t.proc.stop({ graceMs: 1000 })), this.neigh.proc.stop({ graceMs: 1000 })]);
  }
}

/**
 * Counts false failovers in [fromMs, toMs]: starting from `holder` alone, every time the set of hosts holding the VIP
 * stops being exactly {holder} (a second holder, a new holder, or none) is one.
 */
export function countHolderChanges(events: readonly VipEvent[], holder: string, fromMs: number, toMs: number): number {
  const holding = new Set([holder]);
  let changes = 0;
  for (const e of [...events].filter((x) => x.atMs >= fromMs && x.atMs <= toMs).sort((a, b) => a.atMs - b.atMs)) {
    const wasAlone = holding.size === 1 && holding.has(holder);
    if (e.added) holding.add(e.host);
    else holding.delete(e.host);
    if (wasAlone && !(holding.size === 1 && holding.has(holder))) changes++;
  }
  return changes;
}

export const PROBE_EVERY_MS = 20;
const PROBE_TIMEOUT_MS = 400;
const PROBE_MAX_IN_FLIGHT = 25;

/** Prints `<start ms> <end ms> <status>` per request (status 0: no answer, 1: timed out). Runs in the observer's namespace. */
const PROBER_SCRIPT = `
const [url, everyMs, timeoutMs, maxInFlight] = process.argv.slice(1);
const https = require('node:https');
let inFlight = 0;
setInterval(() => {
  if (inFlight >= Number(maxInFlight)) return;
  inFlight++;
  const start = Date.now();
  let done = false;
  const finish = (status) => { if (done) return; done = true; inFlight--; process.stdout.write(start + ' ' + Date.now() + ' ' + status + '\\n'); };
  const req = https.get(url, { agent: false, rejectUnauthorized: false, timeout: Number(timeoutMs) }, (res) => {
    res.resume();
    res.on('end', () => finish(res.statusCode));
    res.on('error', () => finish(0));
  });
  req.on('timeout', () => { finish(1); req.destroy(new Error('timeout')); });
  req.on('error', () => finish(0));
}, Number(everyMs));
`;

export interface ProbeResult {
  readonly startMs: number;
  readonly endMs: number;
  readonly status: number;
}

export class Prober {
  private readonly proc: LabProcess;
  private readonly tail: LogTail;
  readonly results: ProbeResult[] = [];

  constructor(lab: Lab, observer: string, url: string) {
    this.proc = lab.spawn(
      observer,
      process.execPath,
      ['-e', PROBER_SCRIPT, url, String(PROBE_EVERY_MS), String(PROBE_TIMEOUT_MS), String(PROBE_MAX_IN_FLIGHT)],
      {
        name: 'prober',
      },
    );
    this.tail = new LogTail(this.proc.logPath);
  }

  private poll(): void {
    for (const line of this.tail.lines()) {
      const [s, e, st] = line.split(' ').map(Number);
      if (Number.isFinite(s) && Number.isFinite(e) && Number.isFinite(st)) this.results.push({ startMs: s!, endMs: e!, status: st! });
    }
  }

  /** The first 200 from a request started at or after `startedAfterMs`. */
  async firstOk(startedAfterMs: number, timeoutMs: number): Promise<ProbeResult> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.proc.running()) throw new Error(`the prober exited: ${this.proc.readLog().slice(-500)}`);
      this.poll();
      const ok = this.results.filter((r) => r.status === 200 && r.startMs >= startedAfterMs).sort((a, b) => a.endMs - b.endMs)[0];
      if (ok) return ok;
      if (Date.now() > deadline) throw new Error(`no 200 through the VIP within ${timeoutMs} ms`);
      await sleep(5);
    }
  }

  /** What the requests started in [fromMs, toMs] got: `200 ×3, timeout ×12, no answer ×2, 500 ×1`. */
  outcomes(fromMs: number, toMs: number): string {
    this.poll();
    const counts = new Map<number, number>();
    for (const r of this.results) if (r.startMs >= fromMs && r.startMs <= toMs) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
    const name = (s: number) => (s === 0 ? 'no answer' : s === 1 ? 'timeout' : String(s));
    return [...counts.entries()].map(([s, n]) => `${name(s)} ×${n}`).join(', ') || 'none';
  }

  /** Round trips of the 200s started in [fromMs, toMs]: the instrument's own latency when nothing fails. */
  latencies(fromMs: number, toMs: number): number[] {
    this.poll();
    return this.results.filter((r) => r.status === 200 && r.startMs >= fromMs && r.startMs <= toMs).map((r) => r.endMs - r.startMs);
  }

  async stop(): Promise<void> {
    await this.proc.stop({ graceMs: 1000 });
  }
}

// ---- the false-failover run's load -------------------------------------------------------------------------------

export function requireTools(): void {
  for (const [tool, pkg] of [
    ['stress-ng', 'stress-ng'],
    ['tc', 'iproute2'],
    ['taskset', 'util-linux'],
  ] as const) {
    const r = spawnSync(tool, ['--version'], { encoding: 'utf8', env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' } });
    if (r.error) throw new Error(`${tool} is missing: run \`npm run setup\` (or apt-get install ${pkg})`);
  }
}

function netnsInode(netns: string): number {
  return statSync(`/run/netns/${netns}`).ino;
}

/** Every process whose network namespace is one of `netns`. */
export function pidsInNetns(netns: readonly string[]): number[] {
  const wanted = new Set(netns.map((n) => `net:[${netnsInode(n)}]`));
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (wanted.has(readlinkSync(`/proc/${entry}/ns/net`))) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** sched_setaffinity for every thread of each pid (`taskset -a`); processes gone meanwhile are skipped. */
export function pin(pids: readonly number[], cpuList: string): void {
  for (const pid of pids) spawnSync('taskset', ['-a', '-p', '-c', cpuList, String(pid)], { stdio: 'ignore', env: { PATH: '/usr/bin:/bin:/usr/sbin:/sbin' } });
}

export function cpuCount(): number {
  return cpus().length;
}

/** [busy, total] jiffies of one CPU since boot, from /proc/stat (idle and iowait are not busy). */
export function cpuJiffies(cpu: number): [number, number] {
  const line = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`cpu${cpu} `));
  if (!line) throw new Error(`no cpu${cpu} in /proc/stat`);
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return [total - f[3]! - f[4]!, total];
}

/** A bulk TCP flow: `sink` counts bytes (printing `<ms> <total bytes>` every second), `source` writes as fast as TCP takes. */
const FLOW_SCRIPT = `
const [mode, host, port] = process.argv.slice(1);
const net = require('node:net');
if (mode === 'sink') {
  let bytes = 0;
  net.createServer((s) => { s.on('data', (d) => { bytes += d.length; }); s.on('error', () => {}); }).listen(Number(port), host);
  setInterval(() => process.stdout.write(Date.now() + ' ' + bytes + '\\n'), 1000);
} else {
  const buf = Buffer.alloc(1 << 16, 7);
  const go = () => {
    const s = net.connect(Number(port), host);
    const pump = () => { while (s.write(buf)) {} };
    s.on('connect', pump);
    s.on('drain', pump);
    s.on('error', () => {});
    s.on('close', () => setTimeout(go, 200));
  };
  go();
}
`;

export interface Flow {
  /** Mbit/s the sink received between `fromMs` and `toMs`. */
  mbitPerSecond(fromMs: number, toMs: number): number;
  stop(): Promise<void>;
}

/** A flow from `from` to `to`'s address:port; `taskset` lists CPUs for each end (the holder's end runs on the holder's CPU). */
export async function startFlow(lab: Lab, from: string, to: string, port: number, cpuOf: (host: string) => string | undefined): Promise<Flow> {
  const wrap = (host: string, args: string[]): [string, string[]] => {
    const cpu = cpuOf(host);
    return cpu === undefined ? [args[0]!, args.slice(1)] : ['taskset', ['-c', cpu, ...args]];
  };
  const address = lab.host(to).address;
  const [sinkCmd, sinkArgs] = wrap(to, [process.execPath, '-e', FLOW_SCRIPT, 'sink', address, String(port)]);
  const sink = lab.spawn(to, sinkCmd, sinkArgs, { name: `flow-sink-${port}` });
  await sleep(500);
  const [srcCmd, srcArgs] = wrap(from, [process.execPath, '-e', FLOW_SCRIPT, 'source', address, String(port)]);
  const source = lab.spawn(from, srcCmd, srcArgs, { name: `flow-source-${port}` });
  return {
    mbitPerSecond(fromMs, toMs) {
      const samples = sink
        .readLog()
        .split('\n')
        .map((l) => l.split(' ').map(Number))
        .filter((p) => p.length === 2 && Number.isFinite(p[0]) && Number.isFinite(p[1]) && p[0]! >= fromMs && p[0]! <= toMs);
      if (samples.length < 2) return 0;
      const [t0, b0] = samples[0]!;
      const [t1, b1] = samples[samples.length - 1]!;
      return Math.round(((b1! - b0!) * 8) / ((t1! - t0!) / 1000) / 1e6);
    },
    async stop() {
      await source.stop({ graceMs: 1000 });
      await sink.stop({ graceMs: 1000 });
    },
  };
}

/**
 * The host's link as a `rateMbit` link that is full: tbf on the host's eth0 (its sending side) and on its switch port
 * (the switch sending to it), each with a tail-drop FIFO of 50 ms. VRRP adverts get no priority in it: they queue
 * behind the bulk data and are dropped with it when it overflows.
 */
export async function shapeLink(lab: Lab, host: string, rateMbit: number): Promise<() => Promise<void>> {
  const tbf = ['root', 'tbf', 'rate', `${rateMbit}mbit`, 'burst', '64kb', 'latency', '50ms'];
  const port = lab.host(host).switchPort;
  await lab.exec(host, 'tc', ['qdisc', 'replace', 'dev', 'eth0', ...tbf]);
  await lab.exec('switch', 'tc', ['qdisc', 'replace', 'dev', port, ...tbf]);
  return async () => {
    await lab.exec(host, 'tc', ['qdisc', 'del', 'dev', 'eth0', 'root'], { reject: false });
    await lab.exec('switch', 'tc', ['qdisc', 'del', 'dev', port, 'root'], { reject: false });
  };
}
