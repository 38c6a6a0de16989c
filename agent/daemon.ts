/**
 * The agent: registers with the coordinator, keeps its session, runs tasks, and, on hosts that run a load balancer,
 * applies every new backend set from NATS to the local haproxy. Everything is started from one parsed config.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentConfig } from '../core/agent-config.js';
import type { BackendSet } from '../core/backend-set.js';
import { planCluster } from '../core/plan.js';
import { HAPROXY_ADMIN_SOCKET, HAPROXY_CFG_PATH, addServerCommand, renderHaproxyConfig } from '../core/render/haproxy.js';
import { LB_SPEC_PATH } from '../core/render/node-files.js';
import { specFromObject, type ClusterSpec } from '../core/spec.js';
import { VERSION } from '../core/version.js';
import type { Logger } from '../lib/log.js';
import { gatherFacts } from './facts.js';
import { LocalHostOps, type HostOps } from './hostops.js';
import { NATS_SEED_FILE, loadRegistration, type Registration } from './identity.js';
import { createBackendApplier, type BackendApplier } from './lb/applier.js';
import { watchBackendSet, type BackendWatch } from './lb/backend-watch.js';
import { startHaproxyWatch } from './lb/haproxy-watch.js';
import { AgentSession, type TaskHandlers } from './session-client.js';
import { createTaskHandlers } from './task-handlers.js';

/** How long a removed server may keep its sessions before haproxy shuts them: a removal must converge, not hang. */
const DRAIN_TIMEOUT_MS = 10_000;
/** How long the backend watch waits for an apply before it may hand the next set over. */
const WATCH_HOLD_MS = 250;

export interface AgentDaemonOptions {
  readonly config: AgentConfig;
  /** `/` in production; a directory in tests, holding the host's files. */
  readonly hostRoot: string;
  readonly logger: Logger;
  /** Environment for the commands the agent runs (defaults to the agent's own). */
  readonly commandEnv?: Readonly<Record<string, string | undefined>>;
  readonly host?: HostOps;
}

export interface AgentDaemon {
  readonly session: AgentSession;
  readonly host: HostOps;
  stop(): Promise<void>;
}

export function startAgent(opts: AgentDaemonOptions): AgentDaemon {
  const logger = opts.logger.child({ component: 'agent' });
  const host = opts.host ?? new LocalHostOps(opts.hostRoot, logger.child({ component: 'hostops' }), opts.commandEnv ?? process.env);
  let applied = 0;
  let follower: Promise<{ watch: BackendWatch; applier: BackendApplier } | undefined> | undefined;

  const facts = () => gatherFacts(host);

  /** The spec the coordinator wrote next to the LB files: what haproxy.cfg is rendered from for each new set. */
  const lbSpec = async (): Promise<ClusterSpec | undefined> => {
    const text = await host.readFile(LB_SPEC_PATH);
    return text === undefined ? undefined : specFromObject(JSON.parse(text) as unknown, LB_SPEC_PATH);
  };

  // Idle until keepalived is configured here; explicit SetVipTrack goes through it so the two never fight.
  const haproxyWatch = startHaproxyWatch({ host, logger });
  const handlers: TaskHandlers = createTaskHandlers({ host, gatherFacts: facts, appliedLbVersion: () => applied, setVipTrack: (fault) => haproxyWatch.force(fault) });
  const session = new AgentSession({
    config: opts.config,
    agentVersion: VERSION,
    handlers,
    gatherFacts: facts as never,
    appliedLbVersion: () => applied,
    logger,
  });

  /** Every host follows the backend set; one without LB files just skips it until the coordinator writes them. */
  const followBackendSet = async (reg: Registration) => {
    // The role at registration may predate the spec; whether this host runs haproxy shows in its files (onSet).
    if (!reg.natsUrl) return undefined;
    let spec: ClusterSpec | undefined;
    const applier = await createBackendApplier({
      host,
      render: (set: BackendSet) => renderHaproxyConfig(planCluster(spec!), set.backends, { backendSetVersion: set.version }),
      addServerCommand: (backend) => addServerCommand(spec!, backend),
      drainTimeoutMs: DRAIN_TIMEOUT_MS,
      logger,
      onApplied: (version) => {
        applied = version;
        session.reportLbApplied(version);
      },
    });
    applied = applier.appliedVersion() ?? 0;
    /**
     * The watch hands sets over one at a time, and a removal can wait up to the drain timeout for sessions to end;
     * holding the watch that long would keep a newer set (say, a node added meanwhile) from interrupting the drain,
     * which the applier supports. So the watch waits only briefly: once the apply is past that, the next set may come
     * and supersede it. A failed apply the watch no longer waits for is retried here until a newer set replaces it.
     */
    let newest = 0;
    const handOver = async (set: BackendSet): Promise<void> => {
      newest = Math.max(newest, set.version);
      const applying = applier.apply(set);
      const finished = applying.then(() => 'done' as const);
      finished.catch(() => undefined); // observed below, or by the retry once the watch moved on
      const outcome = await Promise.race([finished, sleep(WATCH_HOLD_MS).then(() => 'held' as const)]);
      if (outcome === 'done') return;
      applying.catch(async (err: unknown) => {
        logger.warn({ err: err instanceof Error ? err.message : String(err), version: set.version }, 'backend set apply failed; retrying');
        for (let delay = 500; set.version === newest; delay = Math.min(delay * 2, 10_000)) {
          await sleep(delay);
          if (set.version !== newest) return;
          try {
            await applier.apply(set);
            return;
          } catch (retryErr) {
            logger.warn({ err: retryErr instanceof Error ? retryErr.message : String(retryErr), version: set.version }, 'backend set apply failed again');
          }
        }
      });
    };
    const seed = (await readFile(join(opts.config.stateDir, NATS_SEED_FILE), 'utf8')).trim();
    const watch = watchBackendSet({
      url: reg.natsUrl,
      nkeySeed: seed,
      cluster: reg.clusterName,
      name: reg.agentName,
      appliedVersion: applied,
      logger,
      onSet: async (set) => {
        spec = await lbSpec();
        if (!spec || (await host.readFile(HAPROXY_CFG_PATH)) === undefined) return;
        if (!(await host.exists(HAPROXY_ADMIN_SOCKET))) {
          // haproxy is not running (yet): the file is what it will start from, so that is where the set goes.
          await host.writeFile(HAPROXY_CFG_PATH, renderHaproxyConfig(planCluster(spec), set.backends, { backendSetVersion: set.version }), 0o644);
          applied = set.version;
          session.reportLbApplied(set.version);
          return;
        }
        await handOver(set);
      },
    });
    return { watch, applier };
  };

  session.on('connected', () => {
    follower ??= loadRegistration(opts.config.stateDir, opts.config.caCertHash)
      .then((loaded) => (loaded.registration ? followBackendSet(loaded.registration) : undefined))
      .catch((err: unknown) => {
        logger.error({ err: err instanceof Error ? err.message : String(err) }, 'cannot follow the load-balancer backend set');
        follower = undefined;
        return undefined;
      });
  });
  session.start();

  return {
    session,
    host,
    async stop() {
      haproxyWatch.stop();
      await session.stop();
      await (await follower)?.watch.close();
    },
  };
}
