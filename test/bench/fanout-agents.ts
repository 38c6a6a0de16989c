/**
 * One process of the fan-out benchmark's agents (fanout.ts forks several of these). Each agent is what an LB agent runs
 * for the backend set: the production watch (agent/lb/backend-watch.ts) on its own NATS connection, with its own
 * identity and TLS verified against the coordinator's CA, feeding the production mailbox (agent/lb/backend-mailbox.ts),
 * whose delivery renders haproxy.cfg in memory (renderBackendSetConfig), without writing it or running `haproxy -c`.
 *
 * Every delivery is stamped on the clock all processes of the machine share (performance.timeOrigin + now(), the wall
 * clock at start advanced by the monotonic one) the moment it is rendered, so the parent's figures are publish → render
 * and the IPC that carries the stamps back adds nothing to them.
 *
 * The parent marks phases (connect, changes, storm); the process answers with the CPU it has used so far and, with
 * KHA_FANOUT_PROFILE_DIR set, writes one V8 CPU profile per phase there (`<pass>-<phase>-<pid>.cpuprofile`).
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { createBackendSetMailbox } from '../../agent/lb/backend-mailbox.js';
import { watchBackendSet, type BackendWatch, type BackendWatchOptions } from '../../agent/lb/backend-watch.js';
import type { BackendSet } from '../../core/backend-set.js';
import { renderBackendSetConfig } from '../../core/render/haproxy.js';
import { createRootLogger, silentLogger } from '../../lib/log.js';

/** What an agent connects to NATS with, made by fanout.ts agentCredentials; plain data, as it crosses IPC. */
export interface AgentNatsCredentials {
  readonly nkeySeed: string;
  readonly userJwt: string;
}

/** The credentials as watchBackendSet takes them. */
function watchCredentials(c: AgentNatsCredentials): Pick<BackendWatchOptions, 'nkeySeed' | 'userJwt'> {
  return { nkeySeed: c.nkeySeed, userJwt: () => c.userJwt };
}

export interface AgentSpec {
  /** The agent's number across all processes. */
  readonly index: number;
  readonly name: string;
  readonly credentials: AgentNatsCredentials;
}

export type ToWorker =
  | { readonly type: 'start'; readonly url: string; readonly caPem: string; readonly cluster: string; readonly agents: readonly AgentSpec[] }
  | { readonly type: 'clock'; readonly id: number }
  /** `end` stops the last phase's profile. `pass` goes into the profiles' names. */
  | { readonly type: 'phase'; readonly name: string; readonly pass: string }
  | { readonly type: 'close' };

/** [agent index, version, applied at (shared clock, ms)], flattened. */
export type AppliedEvents = number[];

export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'applied'; readonly events: AppliedEvents }
  | { readonly type: 'clock'; readonly id: number; readonly at: number }
  /** The CPU (user + system) the process has used up to the start of phase `name`. */
  | { readonly type: 'phase'; readonly name: string; readonly cpuMs: number }
  | { readonly type: 'closed'; readonly renderedBytes: number; readonly failures: number; readonly cpuMs: number; readonly maxRssMb: number };

/** Wall-clock milliseconds with sub-millisecond resolution, comparable between processes of one machine. */
export const sharedClock = (): number => performance.timeOrigin + performance.now();

/** Set by fanout.ts in the environment of the processes it forks: importing this module elsewhere runs nothing. */
export const WORKER_ENV = 'KHA_FANOUT_WORKER';

/** Stamps are sent in batches: one IPC message per burst, not per agent. */
const FLUSH_MS = 5;

const logLevel = process.env.KHA_FANOUT_AGENT_LOG;
const logger = logLevel ? createRootLogger({ level: logLevel }) : silentLogger;
const profileDir = process.env.KHA_FANOUT_PROFILE_DIR;

function send(message: FromWorker, then?: () => void): void {
  process.send?.(message, undefined, undefined, then);
}

function cpuMs(): number {
  const usage = process.resourceUsage();
  return Math.round((usage.userCPUTime + usage.systemCPUTime) / 1000);
}

/** One CPU profile per phase, when asked for. */
class PhaseProfiler {
  private session: Session | undefined;
  private phase: string | undefined;

  constructor(private readonly dir: string | undefined) {}

  /** Writes the profile of the phase that ends, and starts one for `phase` (`<pass>-<phase>`), if any. */
  async next(phase: string | undefined): Promise<void> {
    if (!this.dir) return;
    if (!this.session) {
      this.session = new Session();
      this.session.connect();
      await this.session.post('Profiler.enable');
    } else if (this.phase) {
      const { profile } = await this.session.post('Profiler.stop');
      await writeFile(join(this.dir, `${this.phase}-${process.pid}.cpuprofile`), JSON.stringify(profile));
    }
    this.phase = phase;
    if (phase) await this.session.post('Profiler.start');
  }
}

async function main(): Promise<void> {
  const watches: { close(): Promise<void> }[] = [];
  const profiler = new PhaseProfiler(profileDir);
  let events: AppliedEvents = [];
  let flushScheduled = false;
  let renderedBytes = 0;
  let failures = 0;
  const flush = () => {
    flushScheduled = false;
    if (events.length === 0) return;
    send({ type: 'applied', events });
    events = [];
  };

  const start = (msg: Extract<ToWorker, { type: 'start' }>) => {
    for (const agent of msg.agents) {
      const deliver = (set: BackendSet) => {
        renderedBytes += renderBackendSetConfig(set).length;
        events.push(agent.index, set.version, sharedClock());
        if (!flushScheduled) {
          flushScheduled = true;
          setTimeout(flush, FLUSH_MS);
        }
      };
      const mailbox = createBackendSetMailbox({ deliver, logger: silentLogger });
      const watch: BackendWatch = watchBackendSet({
        url: msg.url,
        tls: { ca: msg.caPem },
        ...watchCredentials(agent.credentials),
        cluster: msg.cluster,
        name: agent.name,
        logger: logLevel ? logger.child({ agent: agent.name }) : logger,
        onSet: (set) =>
          void mailbox.offer(set).catch(() => {
            failures++;
          }),
        // Only the subscription and the (re)connect read are measured, not a periodic read that would hide a lost message.
        resyncIntervalMs: 3_600_000,
      });
      watches.push({
        async close() {
          await watch.close();
          await mailbox.close();
        },
      });
    }
  };

  // One message at a time, in order: a phase's profile is written before the next starts or the process closes.
  let queue = Promise.resolve();
  const handle = async (msg: ToWorker) => {
    switch (msg.type) {
      case 'start':
        start(msg);
        break;
      case 'clock':
        send({ type: 'clock', id: msg.id, at: sharedClock() });
        break;
      case 'phase':
        send({ type: 'phase', name: msg.name, cpuMs: cpuMs() });
        await profiler.next(msg.name === 'end' ? undefined : `${msg.pass}-${msg.name}`);
        break;
      case 'close': {
        await profiler.next(undefined);
        await Promise.all(watches.map((w) => w.close().catch(() => undefined)));
        flush();
        const maxRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
        send({ type: 'closed', renderedBytes, failures, cpuMs: cpuMs(), maxRssMb }, () => process.disconnect?.());
        break;
      }
    }
  };
  process.on('message', (msg: ToWorker) => {
    queue = queue
      .then(() => handle(msg))
      .catch((err: unknown) => {
        process.stderr.write(`fanout agents: ${(err as Error).stack}\n`);
      });
  });
  // The parent going away ends this process too.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready' });
}

if (process.send && process.env[WORKER_ENV] === '1') await main();
