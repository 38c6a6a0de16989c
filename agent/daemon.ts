/**
 * The agent: registers with the coordinator, keeps its session, runs tasks, and, on hosts that run a load balancer,
 * applies every new backend set from NATS to the local haproxy. Everything is started from one parsed config.
 */
import { HAPROXY_CFG_PATH } from '../core/host/paths.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentConfig } from '../core/agent-config.js';
import type { BackendSet } from '../core/backend-set.js';
import { isRenderedHaproxyConfig } from '../core/lb/config-version.js';
import { startLbStatusReport, type LbStatusReport } from './lb/status-report.js';
import { addServerCommand, publishedSettings, renderBackendSetConfig } from '../core/render/haproxy.js';
import { VERSION } from '../core/version.js';
import type { Logger } from '../lib/log.js';
import { gatherFacts } from './facts.js';
import { LocalHostOps, type HostOps } from './hostops.js';
import { NATS_SEED_FILE, loadNatsUserJwt, loadRegistration, moveNatsEndpoint, natsTlsFor, saveNatsUserJwt, type Registration } from './identity.js';
import { createBackendApplier, type ApplyOutcome } from './lb/applier.js';
import { createBackendSetMailbox, type BackendSetMailbox } from './lb/backend-mailbox.js';
import { watchBackendSet, type BackendWatch } from './lb/backend-watch.js';
import { startHaproxyWatch } from './lb/haproxy-watch.js';
import { AgentSession, type DrainReport, type TaskHandlers } from './session-client.js';
import { TaskJournal } from './task-journal.js';
import { removeStaleHold } from './tasks/vip-handover.js';
import { createTaskHandlers } from './task-handlers.js';

/** How long a removed server may keep its sessions before haproxy shuts them: a removal must converge, not hang. */
const DRAIN_TIMEOUT_MS = 10_000;

/** A set this host does not apply: it runs no haproxy of ours, or the set does not say how to render haproxy.cfg. */
type FollowOutcome = ApplyOutcome | 'skipped';

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
  /**
   * `drain` (SIGTERM): take no new task, let kubeadm init/join/reset finish, abort the rest, answer each, then stop.
   * Without it every running task is aborted at once.
   */
  stop(opts?: { readonly drain?: boolean }): Promise<DrainReport | undefined>;
}

export function startAgent(opts: AgentDaemonOptions): AgentDaemon {
  const logger = opts.logger.child({ component: 'agent' });
  const host = opts.host ?? new LocalHostOps(opts.hostRoot, logger.child({ component: 'hostops' }), opts.commandEnv ?? process.env);
  let applied = 0;
  let follower: Promise<{ watch: BackendWatch; mailbox: BackendSetMailbox<FollowOutcome> } | undefined> | undefined;
  /** The NATS user JWT the watch logs in with: loaded when following starts, replaced by each fresh one the coordinator sends. */
  let natsUserJwt: string | undefined;

  const facts = () => gatherFacts(host);

  // Idle until keepalived is configured here; explicit SetVipTrack goes through it so the two never fight.
  const haproxyWatch = startHaproxyWatch({ host, logger });
  const handlers: TaskHandlers = createTaskHandlers({
    host,
    gatherFacts: facts,
    appliedLbVersion: () => applied,
    setVipTrack: (fault) => haproxyWatch.force(fault),
  });
  const journal = new TaskJournal(opts.config.stateDir);
  // Reported in each Hello until a session has been acknowledged once.
  let unfinished = '';
  let lbStatus: LbStatusReport | undefined;
  const session = new AgentSession({
    config: opts.config,
    agentVersion: VERSION,
    handlers,
    gatherFacts: facts,
    appliedLbVersion: () => applied,
    logger,
    unfinishedTask: () => unfinished,
    lbStatus: () => lbStatus?.current(),
    journal,
  });
  // VRRP state, the VIP and haproxy's servers, for the coordinator's metrics: sent when they change.
  lbStatus = startLbStatusReport({ host, logger, report: (status) => session.reportStatus(status) });

  /**
   * Whether this host applies a set: the coordinator wrote its LB files, haproxy.cfg among them, in keepalived-haproxy
   * mode. A worker, a kube-vip node or a host not deployed yet skips every set until then (a haproxy.cfg of the host's
   * own, such as Debian's, is not ours to rewrite). A set from a coordinator that did not publish the load-balancer
   * settings cannot be rendered and is skipped too.
   */
  const appliesHere = async (set: BackendSet): Promise<boolean> => {
    const config = await host.readFile(HAPROXY_CFG_PATH);
    if (config === undefined || !isRenderedHaproxyConfig(config)) return false;
    if (set.loadBalancer) return true;
    logger.warn({ version: set.version }, 'the backend set carries no load-balancer settings; haproxy keeps the applied set');
    return false;
  };

  /**
   * Every host follows the backend set: watch → mailbox (the one queue: newest set only, retried until applied or
   * replaced) → applier. The role at registration may predate the spec; whether this host runs haproxy shows in its
   * files (appliesHere).
   */
  const followBackendSet = async (reg: Registration) => {
    if (!reg.natsUrl) return undefined;
    const applier = await createBackendApplier({
      host,
      render: renderBackendSetConfig,
      addServerCommand: (backend, set) => addServerCommand(publishedSettings(set), backend),
      drainTimeoutMs: DRAIN_TIMEOUT_MS,
      logger,
      onApplied: (version) => {
        applied = version;
        session.reportLbApplied(version);
      },
    });
    applied = applier.appliedVersion() ?? 0;
    const mailbox = createBackendSetMailbox<FollowOutcome>({
      appliedVersion: applier.appliedVersion(),
      logger,
      deliver: async (set, superseded) => ((await appliesHere(set)) ? applier.apply(set, superseded) : 'skipped'),
    });
    const seed = (await readFile(join(opts.config.stateDir, NATS_SEED_FILE), 'utf8')).trim();
    natsUserJwt ??= await loadNatsUserJwt(opts.config.stateDir);
    const watch = watchBackendSet({
      url: reg.natsUrl,
      tls: natsTlsFor(reg),
      nkeySeed: seed,
      userJwt: () => natsUserJwt,
      cluster: reg.clusterName,
      name: reg.agentName,
      logger,
      // A failed apply is logged and retried by the mailbox; nobody waits for the outcome here.
      onSet: (set) => void mailbox.offer(set).catch(() => undefined),
      onDeleted: () => mailbox.forget(),
    });
    return { watch, mailbox };
  };

  /**
   * The coordinator says, at every session start, where the backend set is read from now: after a coordinator restart
   * on another NATS port, or a move to another NATS cluster, the watch follows it instead of dialling the old address
   * forever. Moves are applied one at a time, after whatever follower the session start created.
   */
  let moving: Promise<void> = Promise.resolve();
  session.on('natsEndpoint', (endpoint) => {
    moving = moving
      .then(async () => {
        // Stored first and picked up by the watch at its next (re)connect; a running connection keeps its login.
        if (endpoint.userJwt && (await saveNatsUserJwt(opts.config.stateDir, endpoint.userJwt))) natsUserJwt = endpoint.userJwt;
        const moved = await moveNatsEndpoint(opts.config.stateDir, opts.config.caCertHash, endpoint);
        if (!moved) return;
        logger.info({ natsUrl: moved.natsUrl }, 'the coordinator moved the NATS endpoint; following the backend set there');
        const previous = await follower;
        follower = undefined;
        await previous?.watch.close();
        await previous?.mailbox.close();
        follower = followBackendSet(moved);
        await follower;
      })
      .catch((err: unknown) =>
        logger.error({ err: err instanceof Error ? err.message : String(err) }, 'cannot move to the NATS endpoint the coordinator sent'),
      );
  });

  session.on('connected', () => {
    unfinished = '';
    follower ??= loadRegistration(opts.config.stateDir, opts.config.caCertHash)
      .then((loaded) => (loaded.registration ? followBackendSet(loaded.registration) : undefined))
      .catch((err: unknown) => {
        logger.error({ err: err instanceof Error ? err.message : String(err) }, 'cannot follow the load-balancer backend set');
        follower = undefined;
        return undefined;
      });
  });
  /** What an agent killed mid-task left behind, looked at before the first session so Hello can report it. */
  const startup = (async () => {
    try {
      unfinished = await journal.takeLeftover();
      if (unfinished) logger.warn({ unfinishedTask: unfinished }, 'the previous run of this agent was killed during a task; the coordinator is told');
    } catch (err) {
      logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'cannot read the task journal');
    }
    try {
      if (await removeStaleHold(host)) logger.warn('removed a VIP handover hold (nftables) left by an agent killed during a handover');
    } catch (err) {
      logger.error(
        { err: err instanceof Error ? err.message : String(err) },
        'cannot remove a stale VIP handover hold; new connections to the VIP on this host are dropped',
      );
    }
  })().finally(() => session.start());

  return {
    session,
    host,
    async stop(stopOpts = {}) {
      await startup;
      let report: DrainReport | undefined;
      if (stopOpts.drain) {
        report = await session.drain();
        if (report.waited.length + report.aborted.length > 0) logger.info({ finished: report.waited, aborted: report.aborted }, 'running tasks answered');
      }
      haproxyWatch.stop();
      lbStatus?.stop();
      await session.stop();
      // A move in progress finishes first, so the follower it starts is the one closed here.
      await moving;
      const following = await follower;
      await following?.watch.close();
      await following?.mailbox.close();
      return report;
    },
  };
}
