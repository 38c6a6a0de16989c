/**
 * Fan-out: one coordinator publishes 20 successive backend changes (BackendSetStore.publish, as the coordinator does)
 * to 1000 agents on the real NATS protocol against one real nats-server with TLS, then the same for 5000 agents.
 *
 * The agents run in child processes (fanout-agents.ts, 4 by default), each agent the production watch
 * (agent/lb/backend-watch.ts: a core subscription on the key's subject and a direct get on every (re)connect) on its own
 * NATS connection, with its own nkey and the user JWT registration issues for it, and its own TLS verification against
 * the coordinator's CA, feeding the production mailbox (agent/lb/backend-mailbox.ts) whose delivery renders haproxy.cfg
 * in memory (renderBackendSetConfig), without `haproxy -c`. Publish and render are stamped on the clock every process
 * of the machine shares (fanout-agents.ts sharedClock), so the figures hold no IPC; the offset between the processes'
 * clocks is checked and reported.
 *
 * Per pass:
 * - connect: the 1000 agents all start at once (each process starts its share together), the 5000 in waves of 100;
 *   the figure is the time until every agent is at the first set;
 * - fan-out: p50/p99/max of publish → applied per agent and change, and per change the time until every agent applied
 *   it. The first changes after connect are slower (each agent process is cold: its JIT tiers up and its heap settles
 *   over the first few hundred deliveries), so the second half of the changes is also reported alone;
 * - reconnect storm: nats-server is killed (SIGKILL, as a crash; the embedded server's supervisor restarts it on the same
 *   port and data directory), the coordinator publishes a new set as soon as its connection is back, and the figure is
 *   the time from the kill until every agent is at that set (given up after 120 s: the agents still missing are counted).
 * CPU per phase is reported for the agent processes and for nats-server: on this machine every agent's client work
 * shares two cores, which a fleet spreads over its hosts.
 *
 * Environment: KHA_FANOUT_AGENTS (1000), KHA_FANOUT_AGENTS_LARGE (5000; 0 skips that pass), KHA_FANOUT_PROCESSES (4),
 * KHA_FANOUT_WAVE / KHA_FANOUT_LARGE_WAVE (agents started together: all / 100), KHA_FANOUT_CHANGES (20),
 * KHA_FANOUT_STORM_TIMEOUT_MS (120000), KHA_FANOUT_PER_CHANGE=1 (each change's time and CPU on stderr),
 * KHA_FANOUT_PROFILE_DIR (a CPU profile per agent process and phase), KHA_FANOUT_AGENT_LOG (the agents' log level, to
 * stderr) and KHA_FANOUT_WORKER_ARGS (node options for the agent processes; the packaged agent's own are
 * `--max-semi-space-size=1 --jitless --optimize-for-size`, which with 250 agents in one process would measure the
 * garbage collector more than the agents).
 * Run alone: `npx vite-node test/bench/fanout.ts` (the agent processes then run their TypeScript through vite-node too).
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createUser } from '@nats-io/nkeys';
import { nextBackendSet, withBackends, type BackendInput, type BackendSet } from '../../core/backend-set.js';
import { planCluster } from '../../core/plan.js';
import { loadBalancerConfig } from '../../core/render/haproxy.js';
import { loadSpec } from '../../core/validate.js';
import { startLocalNats, type LocalNats } from '../../coordinator/nats/server.js';
import { ensureNatsServerCert } from '../../coordinator/nats/tls.js';
import { loadOrCreateCa } from '../../coordinator/pki/ca.js';
import { StateStore } from '../../coordinator/state/store.js';
import { connectNats, type NatsConnection } from '../../lib/nats/connect.js';
import { silentLogger } from '../../lib/log.js';
import { nkeySigner } from '../../lib/nats/nkey-signer.js';
import { REPO_ROOT } from '../kubeadm-sim/testing.js';
import { WORKER_ENV, sharedClock, type AgentNatsCredentials, type AgentSpec, type FromWorker, type ToWorker } from './fanout-agents.js';
import { runWhenEntry, type BenchResult, type BenchRow } from './result.js';

const AGENTS = Number(process.env.KHA_FANOUT_AGENTS ?? 1000);
const LARGE_AGENTS = Number(process.env.KHA_FANOUT_AGENTS_LARGE ?? 5000);
const PROCESSES = Math.max(1, Number(process.env.KHA_FANOUT_PROCESSES ?? 4));
const WORKER_ARGS = (process.env.KHA_FANOUT_WORKER_ARGS ?? '').split(/\s+/).filter(Boolean);
/** Agents started together: all of them in the first pass (its connect figure is a storm too). */
const CONNECT_WAVE = Number(process.env.KHA_FANOUT_WAVE ?? AGENTS);
/**
 * The larger pass connects in waves, each waiting for the last: all at once, its connect would take longer than the
 * benchmark should (the 1000 agents' connect and storm figures say why), and it is there for the fan-out.
 */
const LARGE_CONNECT_WAVE = Number(process.env.KHA_FANOUT_LARGE_WAVE ?? 100);
const CHANGES = Number(process.env.KHA_FANOUT_CHANGES ?? 20);
/** Marks every change too, and prints each one's time and CPU to stderr (the marks' IPC falls between changes). */
const PER_CHANGE = process.env.KHA_FANOUT_PER_CHANGE === '1';
const CLUSTER = 'fanout';
const CHANGE_TIMEOUT_MS = 30_000;
/** Far above the 30 s target: the figure is reported whatever it is, rather than cut off at the target. */
const CONNECT_TIMEOUT_MS = Number(process.env.KHA_FANOUT_CONNECT_TIMEOUT_MS ?? 600_000);
const STORM_TIMEOUT_MS = Number(process.env.KHA_FANOUT_STORM_TIMEOUT_MS ?? 120_000);

/**
 * The one place that knows how an agent gets into NATS, as registration lets it in: a fresh nkey, and the user JWT the
 * coordinator's account signs for it (nothing changes on the server). What it returns crosses to the agent processes
 * as it is, and fanout-agents.ts watchCredentials hands it to watchBackendSet.
 */
async function agentCredentials(nats: LocalNats, agentName: string, cluster: string): Promise<AgentNatsCredentials> {
  const seed = createUser().getSeed();
  const userJwt = await nats.issueAgentJwt(nkeySigner(seed).publicKey, agentName, cluster);
  return { nkeySeed: new TextDecoder().decode(seed), userJwt };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

/** Three to five apiservers, changing one at a time: adds, drains and removals as membership changes produce. */
function backendsFor(change: number): BackendInput[] {
  const list: BackendInput[] = [0, 1, 2].map((i) => ({ name: `master-${i}`, address: `198.18.0.${11 + i}`, port: 6443 }));
  if (change % 4 === 1 || change % 4 === 2)
    list.push({ name: 'master-3', address: '198.18.0.14', port: 6443, state: change % 4 === 2 ? 'draining' : 'active' });
  if (change % 2 === 1) list.push({ name: 'master-4', address: '198.18.0.15', port: 6443 });
  return list;
}

type Closed = Extract<FromWorker, { type: 'closed' }>;

/** One forked agent process and its IPC. */
class AgentProcess {
  private readonly child: ChildProcess;
  private readonly clockReplies = new Map<number, (at: number) => void>();
  private nextClockId = 0;
  private readonly exited: Promise<string>;
  private readyResolve: (() => void) | undefined;
  private readonly phaseReplies = new Map<string, (cpuMs: number) => void>();
  private closedResolve: ((c: Closed) => void) | undefined;
  /** Once the process said it is ready to start agents; rejects if it died first. */
  readonly ready: Promise<void>;

  constructor(onApplied: (events: readonly number[]) => void) {
    const here = fileURLToPath(import.meta.url);
    const env = { ...process.env, [WORKER_ENV]: '1' };
    const options = { env, execArgv: WORKER_ARGS, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] as ('ignore' | 'inherit' | 'ipc')[] };
    // Compiled (npm run bench): node runs the compiled worker. From source (vite-node): vite-node runs the worker's source.
    this.child = here.endsWith('.ts')
      ? fork(join(REPO_ROOT, 'node_modules/vite-node/vite-node.mjs'), [join(dirname(here), 'fanout-agents.ts')], options)
      : fork(join(dirname(here), 'fanout-agents.js'), [], options);
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve(`agent process ${this.child.pid} exited (${signal ?? code})`)));
    this.ready = Promise.race([new Promise<void>((resolve) => (this.readyResolve = resolve)), this.exited.then((why) => Promise.reject(new Error(why)))]);
    this.child.on('message', (msg: FromWorker) => {
      switch (msg.type) {
        case 'ready':
          this.readyResolve?.();
          break;
        case 'applied':
          onApplied(msg.events);
          break;
        case 'clock':
          this.clockReplies.get(msg.id)?.(msg.at);
          this.clockReplies.delete(msg.id);
          break;
        case 'phase':
          this.phaseReplies.get(msg.name)?.(msg.cpuMs);
          this.phaseReplies.delete(msg.name);
          break;
        case 'closed':
          this.closedResolve?.(msg);
          break;
      }
    });
  }

  send(msg: ToWorker): void {
    this.child.send(msg);
  }

  /**
   * The bound on |this process's clock − ours|: an estimate from a round trip (the reply's stamp against the midpoint)
   * plus half the round trip, the best of a few tries.
   */
  async clockOffsetBound(tries = 5): Promise<number> {
    let best = Infinity;
    for (let i = 0; i < tries; i++) {
      const id = this.nextClockId++;
      const sent = sharedClock();
      const at = await new Promise<number>((resolve) => {
        this.clockReplies.set(id, resolve);
        this.send({ type: 'clock', id });
      });
      const back = sharedClock();
      best = Math.min(best, Math.abs(at - (sent + back) / 2) + (back - sent) / 2);
    }
    return best;
  }

  /** Marks the start of a phase; resolves with the CPU the process used before it. */
  phase(name: string, pass: string): Promise<number> {
    return new Promise((resolve) => {
      this.phaseReplies.set(name, resolve);
      this.send({ type: 'phase', name, pass });
    });
  }

  private closing: Promise<Closed> | undefined;

  /** Closes every agent; resolves with the process's own account once it has exited (its profiles written). */
  close(): Promise<Closed> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<Closed> {
    if (!this.child.connected) throw new Error(await this.exited);
    const closed = new Promise<Closed>((resolve) => (this.closedResolve = resolve));
    this.send({ type: 'close' });
    const timer = setTimeout(() => this.kill(), 120_000);
    try {
      const outcome = await Promise.race([closed, this.exited.then((why) => new Error(why))]);
      if (outcome instanceof Error) throw outcome;
      await this.exited;
      return outcome;
    } finally {
      clearTimeout(timer);
    }
  }

  /** CPU of the process's main thread (its JavaScript), from /proc: the rest is V8's and libuv's helper threads. */
  mainThreadCpuMs(): number {
    return this.child.pid === undefined ? 0 : processCpuMs(this.child.pid, this.child.pid);
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

class NotAllThere extends Error {
  constructor(
    readonly missing: number,
    message: string,
  ) {
    super(message);
  }
}

/** Which version each agent has applied, and when each reached the version being waited for. */
class AppliedTracker {
  private readonly applied: Int32Array;
  /** publish → applied of every delivery of a version whose publish time is known, by version. */
  readonly latencies = new Map<number, number[]>();
  readonly publishedAt = new Map<number, number>();
  private waiter: { version: number; upTo: number; left: number; latest: number; resolve: (latest: number) => void } | undefined;

  constructor(readonly agents: number) {
    this.applied = new Int32Array(agents);
  }

  onEvents = (events: readonly number[]): void => {
    for (let i = 0; i + 2 < events.length; i += 3) {
      const agent = events[i]!;
      const version = events[i + 1]!;
      const at = events[i + 2]!;
      const published = this.publishedAt.get(version);
      if (published !== undefined) {
        const list = this.latencies.get(version) ?? [];
        list.push(at - published);
        this.latencies.set(version, list);
      }
      const before = this.applied[agent]!;
      if (version > before) this.applied[agent] = version;
      const w = this.waiter;
      if (w && agent < w.upTo && before < w.version && version >= w.version) {
        w.latest = Math.max(w.latest, at);
        if (--w.left === 0) {
          this.waiter = undefined;
          w.resolve(w.latest);
        }
      }
    }
  };

  /** Resolves with the shared-clock time the last agent (of those numbered below `upTo`) reached `version`. */
  allAt(version: number, timeoutMs: number, upTo = this.agents): Promise<number> {
    if (this.waiter) throw new Error('one wait at a time');
    const left = this.applied.subarray(0, upTo).filter((v) => v < version).length;
    if (left === 0) return Promise.resolve(sharedClock());
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        const w = this.waiter;
        this.waiter = undefined;
        reject(new NotAllThere(w?.left ?? 0, `${w?.left} of ${upTo} agents did not apply v${version} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = {
        version,
        upTo,
        left,
        latest: 0,
        resolve: (latest) => {
          clearTimeout(timer);
          resolve(latest);
        },
      };
    });
  }
}

interface PassFigures {
  readonly agents: number;
  /** Agents started together; all of them in the first pass. */
  readonly connectWave: number;
  /** publish → applied of every delivery, sorted; `warm*`: of the second half of the changes only. */
  readonly latencies: number[];
  readonly warmLatencies: number[];
  /** Per change, in order: publish → the last agent applied it. */
  readonly allApplied: number[];
  readonly connectMs: number;
  /** NaN when some agents were not at the set when the bench stopped waiting; `stormMissing` says how many. */
  readonly stormMs: number;
  readonly stormMissing: number;
  readonly stormPublishMs: number;
  readonly stormReconnectMs: number;
  readonly clockOffsetMs: number;
  readonly renderedBytes: number;
  readonly deliveryFailures: number;
  /** CPU of all agent processes and of nats-server, per phase. */
  readonly cpu: { readonly [phase in Phase]: { readonly agentsMs: number; readonly serverMs: number } };
  readonly agentMaxRssMb: number;
}

type Phase = 'connect' | 'changes' | 'storm';

const CLOCK_TICKS_PER_S = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU (user + system) a process, or one thread `pid` of process `ofProcess`, has used, from /proc; 0 once gone. */
function processCpuMs(pid: number | undefined, ofProcess?: number): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(ofProcess === undefined ? `/proc/${pid}/stat` : `/proc/${ofProcess}/task/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are the 14th and 15th fields of the line, the 12th and 13th after the command name.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
  } catch {
    return 0;
  }
}

/** Publishes `next` as soon as the coordinator's connection lets it; a try that landed but timed out counts as landed. */
async function publishWhenBack(store: StateStore, next: BackendSet, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await store.backendSets.publish(next);
      return;
    } catch (err) {
      const stored = await store.backendSets.current(next.cluster).catch(() => undefined);
      if (stored && stored.version >= next.version) return;
      if (Date.now() > deadline) throw err;
    }
    await sleep(50);
  }
}

/** Resolves at the next reconnect of `nc`. */
function reconnected(nc: NatsConnection): Promise<void> {
  return (async () => {
    for await (const s of nc.status()) if (s.type === 'reconnect') return;
  })();
}

/**
 * Resolves with the shared-clock time the restarted server first lists `connections` authenticated clients, polled on
 * its monitor port (`/connz`) every 500 ms; a connection still in its TLS handshake or not yet authenticated does not count.
 */
async function allConnectedAgain(nats: LocalNats, connections: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  const killed = nats.pid();
  while (Date.now() < deadline) {
    try {
      if (nats.pid() !== undefined && nats.pid() !== killed) {
        const url = `${nats.monitorUrl}/connz?auth=true&limit=${connections + 100}`;
        const connz = (await (await fetch(url, { signal: AbortSignal.timeout(5000) })).json()) as {
          connections?: { authorized_user?: string; nkey?: string }[];
        };
        const at = sharedClock();
        const authenticated = (connz.connections ?? []).filter((c) => c.authorized_user || c.nkey).length;
        if (authenticated >= connections) return at;
      }
    } catch {
      // not back yet
    }
    await sleep(500);
  }
  throw new Error(`nats-server did not list ${connections} authenticated connections within ${timeoutMs} ms`);
}

async function runPass(agents: number, connectWave: number): Promise<PassFigures> {
  const dataDir = await mkdtemp(join(tmpdir(), 'kha-fanout-'));
  // As the coordinator runs it: TLS with a certificate from its CA, which every agent verifies.
  const ca = await loadOrCreateCa(join(dataDir, 'pki'));
  const cert = await ensureNatsServerCert(ca, join(dataDir, 'nats'), '127.0.0.1', { logger: silentLogger });
  const nats = await startLocalNats({ dataDir, clusterName: CLUSTER, logger: silentLogger, tls: cert.server, clientTls: cert.client });
  const tracker = new AppliedTracker(agents);
  const processes: AgentProcess[] = [];
  /** CPU used before each phase: by the agent processes (all threads, and their main threads) and by nats-server. */
  const marks = new Map<string, { agentsMs: number; agentsMainMs: number; serverMs: number }>();
  const mark = async (phase: string) => {
    const agentsMs = (await Promise.all(processes.map((p) => p.phase(phase, `${agents}agents`)))).reduce((a, b) => a + b, 0);
    const agentsMainMs = processes.reduce((sum, p) => sum + p.mainThreadCpuMs(), 0);
    marks.set(phase, { agentsMs, agentsMainMs, serverMs: processCpuMs(nats.pid()) });
  };
  try {
    const nc = await connectNats(nats, { name: 'fanout coordinator', logger: silentLogger });
    const store = await StateStore.open(nc);
    const spec = loadSpec(readFileSync(join(REPO_ROOT, 'test/fixtures/cluster.yaml'), 'utf8').replace(/^(\s*name:\s*)\S+$/m, `$1${CLUSTER}`)).spec;
    const plan = planCluster({ ...spec, name: CLUSTER });
    let current = await store.backendSets.current(CLUSTER);
    // One version after the stored one, with both the backends and the LB settings (each helper alone bumps it).
    current = nextBackendSet(current, { ...withBackends(current, backendsFor(0)), loadBalancer: loadBalancerConfig(plan) });
    await store.backendSets.publish(current);

    const specs: AgentSpec[] = await Promise.all(
      Array.from({ length: agents }, async (_, index) => {
        const name = `agent-${index}`;
        return { index, name, credentials: await agentCredentials(nats, name, CLUSTER) };
      }),
    );
    for (let p = 0; p < PROCESSES; p++) processes.push(new AgentProcess(tracker.onEvents));
    await Promise.all(processes.map((p) => p.ready));
    const offsets = await Promise.all(processes.map((p) => p.clockOffsetBound()));

    // Connect: each wave's agents start together, spread over the processes, and the next wave waits for them.
    await mark('connect');
    const connectStart = sharedClock();
    let connectedAt = connectStart;
    for (let from = 0; from < agents; from += connectWave) {
      const upTo = Math.min(agents, from + connectWave);
      const connected = tracker.allAt(current.version, CONNECT_TIMEOUT_MS, upTo);
      for (const [i, p] of processes.entries()) {
        const share = specs.slice(from, upTo).filter((s) => s.index % PROCESSES === i);
        p.send({ type: 'start', url: nats.url, caPem: ca.certPem, cluster: CLUSTER, agents: share });
      }
      connectedAt = await connected;
    }
    const connectMs = connectedAt - connectStart;

    await mark('changes');
    const allApplied: number[] = [];
    const versions: number[] = [];
    for (let change = 1; change <= CHANGES; change++) {
      if (PER_CHANGE) await mark(`change-${change}`);
      const next = withBackends(current, backendsFor(change));
      const done = tracker.allAt(next.version, CHANGE_TIMEOUT_MS);
      const publishedAt = sharedClock();
      tracker.publishedAt.set(next.version, publishedAt);
      await store.backendSets.publish(next);
      allApplied.push((await done) - publishedAt);
      versions.push(next.version);
      current = next;
    }
    await mark('storm');
    if (PER_CHANGE) {
      for (let change = 1; change <= CHANGES; change++) {
        const [from, to] = [marks.get(`change-${change}`)!, marks.get(change === CHANGES ? 'storm' : `change-${change + 1}`)!];
        process.stderr.write(
          `fanout ${agents}: change ${change}: all applied in ${Math.round(allApplied[change - 1]!)} ms; CPU: agents ${to.agentsMs - from.agentsMs} ms ` +
            `(main threads ${to.agentsMainMs - from.agentsMainMs}), nats-server ${to.serverMs - from.serverMs} ms\n`,
        );
      }
    }

    // Reconnect storm: nats-server dies; its supervisor restarts it on the same port and data directory. The coordinator
    // publishes once its own connection is back (a request sent into the outage only times out), as the next change would.
    const pid = nats.pid();
    if (pid === undefined) throw new Error('nats-server is not running');
    const storm = withBackends(current, backendsFor(CHANGES + 1));
    const stormDone = tracker.allAt(storm.version, STORM_TIMEOUT_MS);
    const coordinatorBack = reconnected(nc);
    const killedAt = sharedClock();
    const stormServerCpuBefore = processCpuMs(pid);
    process.kill(pid, 'SIGKILL');
    const agentsBack = allConnectedAgain(nats, agents + 1, STORM_TIMEOUT_MS);
    await coordinatorBack;
    await publishWhenBack(store, storm, STORM_TIMEOUT_MS);
    const stormPublishMs = sharedClock() - killedAt;
    let stormMs = NaN;
    let stormMissing = 0;
    try {
      stormMs = (await stormDone) - killedAt;
    } catch (err) {
      if (!(err instanceof NotAllThere)) throw err;
      stormMissing = err.missing;
    }
    const stormReconnectMs = await agentsBack.then(
      (at) => at - killedAt,
      () => NaN,
    );
    await mark('end');
    await nc.close();

    const closed = await Promise.all(processes.map((p) => p.close()));
    const latenciesOf = (changes: number[]) => changes.flatMap((v) => tracker.latencies.get(v) ?? []).sort((a, b) => a - b);
    const spent = (from: string, to: string) => ({
      agentsMs: marks.get(to)!.agentsMs - marks.get(from)!.agentsMs,
      serverMs: marks.get(to)!.serverMs - marks.get(from)!.serverMs,
    });
    return {
      agents,
      connectWave,
      latencies: latenciesOf(versions),
      warmLatencies: latenciesOf(versions.slice(Math.floor(CHANGES / 2))),
      allApplied,
      connectMs,
      stormMs,
      stormMissing,
      stormPublishMs,
      stormReconnectMs,
      clockOffsetMs: Math.max(...offsets),
      renderedBytes: closed.reduce((sum, c) => sum + c.renderedBytes, 0),
      deliveryFailures: closed.reduce((sum, c) => sum + c.failures, 0),
      // The storm's server CPU: what the killed one used since the mark, and the restarted one from its start.
      cpu: {
        connect: spent('connect', 'changes'),
        changes: spent('changes', 'storm'),
        storm: { agentsMs: spent('storm', 'end').agentsMs, serverMs: stormServerCpuBefore - marks.get('storm')!.serverMs + marks.get('end')!.serverMs },
      },
      agentMaxRssMb: Math.max(...closed.map((c) => c.maxRssMb)),
    };
  } finally {
    // Closed rather than killed when the pass failed part-way, so that their profiles are written.
    await Promise.all(processes.map((p) => p.close().catch(() => p.kill())));
    await nats.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** The rows of one pass; the first pass keeps the metric names tracked since the single-process benchmark. */
function rowsOf(f: PassFigures, prefix: string): BenchRow[] {
  const deliveries = f.agents * CHANGES;
  const byTime = [...f.allApplied].sort((a, b) => a - b);
  const warm = f.allApplied.slice(Math.floor(CHANGES / 2));
  const warmChanges = `changes ${Math.floor(CHANGES / 2) + 1}-${CHANGES}`;
  const allAtOnce = f.connectWave >= f.agents;
  return [
    { metric: `${prefix}publish → applied p50`, value: round(percentile(f.latencies, 50)), unit: 'ms' },
    { metric: `${prefix}publish → applied p99`, value: round(percentile(f.latencies, 99)), unit: 'ms', target: '≤ 100 ms' },
    { metric: `${prefix}publish → applied max`, value: round(f.latencies.at(-1) ?? NaN), unit: 'ms' },
    { metric: `${prefix}all agents applied, median change`, value: round(percentile(byTime, 50)), unit: 'ms' },
    { metric: `${prefix}all agents applied, slowest change`, value: round(byTime.at(-1) ?? NaN), unit: 'ms', target: '≤ 250 ms' },
    { metric: `${prefix}all agents applied, first change after connect`, value: round(f.allApplied[0] ?? NaN), unit: 'ms' },
    // The same, once each agent process has been through the first half: its JIT and heap settled (see the header).
    { metric: `${prefix}publish → applied p99, ${warmChanges}`, value: round(percentile(f.warmLatencies, 99)), unit: 'ms' },
    { metric: `${prefix}all agents applied, slowest of ${warmChanges}`, value: round(Math.max(...warm)), unit: 'ms' },
    { metric: `${prefix}deliveries measured`, value: f.latencies.length, unit: `(of ${deliveries})` },
    { metric: `${prefix}deliveries that failed`, value: f.deliveryFailures, unit: '' },
    {
      metric: `${prefix}agents connected and at the first set`,
      value: round(f.connectMs),
      unit: `ms (${allAtOnce ? 'all started at once' : `in waves of ${f.connectWave}`})`,
      ...(allAtOnce ? { target: '≤ 30000 ms' } : {}),
    },
    { metric: `${prefix}nats-server killed → all agents at the set published after`, value: round(f.stormMs), unit: 'ms', target: '≤ 30000 ms' },
    {
      metric: `${prefix}nats-server killed → agents not at that set when the bench stopped waiting`,
      value: f.stormMissing,
      unit: `(after ${STORM_TIMEOUT_MS} ms)`,
    },
    { metric: `${prefix}nats-server killed → every agent connected again`, value: round(f.stormReconnectMs), unit: 'ms' },
    { metric: `${prefix}nats-server killed → the coordinator's publish landed`, value: round(f.stormPublishMs), unit: 'ms' },
    { metric: `${prefix}agent CPU per delivery`, value: round((f.cpu.changes.agentsMs * 1000) / deliveries), unit: 'µs' },
    { metric: `${prefix}nats-server CPU per change`, value: round(f.cpu.changes.serverMs / CHANGES), unit: 'ms' },
    { metric: `${prefix}agent processes' CPU, connect`, value: f.cpu.connect.agentsMs, unit: 'ms' },
    { metric: `${prefix}nats-server CPU, connect`, value: f.cpu.connect.serverMs, unit: 'ms' },
    { metric: `${prefix}agent processes' CPU, storm`, value: f.cpu.storm.agentsMs, unit: 'ms' },
    { metric: `${prefix}nats-server CPU, storm`, value: f.cpu.storm.serverMs, unit: 'ms' },
    { metric: `${prefix}agent process peak RSS, largest`, value: f.agentMaxRssMb, unit: `MB (${Math.ceil(f.agents / PROCESSES)} agents)` },
    { metric: `${prefix}haproxy.cfg rendered`, value: Math.round(f.renderedBytes / 1024), unit: 'KiB' },
    { metric: `${prefix}clock offset between processes, bound`, value: round(f.clockOffsetMs), unit: 'ms' },
  ];
}

export async function benchFanout(): Promise<BenchResult> {
  const rows = rowsOf(await runPass(AGENTS, CONNECT_WAVE), '');
  if (LARGE_AGENTS > 0) rows.push(...rowsOf(await runPass(LARGE_AGENTS, LARGE_CONNECT_WAVE), `${LARGE_AGENTS} agents: `));
  const sizes = LARGE_AGENTS > 0 ? `${AGENTS} and ${LARGE_AGENTS} agents` : `${AGENTS} agents`;
  return {
    name: `fanout (${sizes} over ${PROCESSES} processes, ${CHANGES} changes, one nats-server with TLS, one NATS connection, nkey and user JWT per agent)`,
    rows,
  };
}

await runWhenEntry(import.meta.url, benchFanout);
