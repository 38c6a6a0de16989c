/**
 * The coordinator: its CA and admin credentials, NATS (a supervised local nats-server unless pointed at a cluster),
 * the state store, the agent sessions, the gRPC server, and the operations coordinatorctl starts. A coordinator that
 * restarts during a deploy resumes it from the persisted state.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { KubeadmHaError, NotLeaderError } from '../core/errors.js';
import { dns1123LabelProblem } from '../core/validate.js';
import { writeFileAtomic } from '../lib/fs.js';
import type { Logger } from '../lib/log.js';
import { connectNats, type NatsConnection } from '../lib/nats/connect.js';
import type { NatsEndpoint } from '../lib/nats/credentials.js';
import { lockDataDir, type DataDirLock } from './data-dir-lock.js';
import { LeaderLease } from './leader/lease.js';
import { startLeadership, TermOperations } from './leader/leadership.js';
import { adoptClusterCa, claimClusterCa, uploadTrustBundle } from './leader/trust-bundle.js';
import { SNAPSHOT_DIR_NAME } from '../core/etcd/snapshot.js';
import { startCoordinatorServer, type CoordinatorServer } from './grpc/server.js';
import { startLocalNats, type LocalNats } from './nats/server.js';
import { ExternalNatsUsers, NATS_AUTH_DIR } from './nats/external-auth.js';
import { ensureNatsServerCert } from './nats/tls.js';
import { createCertificateRenewer } from './grpc/renew.js';
import { adminConfNotAfter, writeAdminCredentials } from './pki/admin-credentials.js';
import { LEAF_VALIDITY_DAYS, loadOrCreateCa, type CertificateAuthority } from './pki/ca.js';
import { startClusterMetrics } from './metrics/start.js';
import { SessionHub } from './sessions.js';
import type { CoordinatorRuntime } from './runtime.js';
import { KvAgentRegistry, KvBackendSets, KvClusterProgress } from './state/adapters.js';
import { StateStore } from './state/store.js';
import { BootstrapTokens } from './tokens.js';
import type { DeployTimeouts } from './workflow/ports.js';

/** How often the embedded NATS server's certificate is checked for renewal (it is renewed 30 days before expiry). */
const NATS_CERT_CHECK_MS = 12 * 3600_000;

export interface CoordinatorOptions {
  readonly dataDir: string;
  /** host:port for agents and coordinatorctl. */
  readonly listen: string;
  /** host:port agents and coordinatorctl dial this coordinator at; its identity in the leader lease. */
  readonly advertise: string;
  /**
   * `--coordinators`: every coordinator's address, comma-separated, written into admin.conf and agent.yaml so that
   * agents and coordinatorctl find whichever leads. Default: `advertise` alone.
   */
  readonly coordinators?: string;
  /** The cluster this coordinator manages; fixed at first start (agents carry it from registration). */
  readonly clusterName: string;
  /**
   * An existing NATS (with JetStream) instead of the supervised local nats-server. `tls.ca` (PEM) is the CA its
   * servers' certificates chain to; agents receive it at registration to verify the servers the same way.
   */
  readonly nats?: NatsEndpoint & { readonly agentUrl?: string };
  /** Where the local nats-server listens; agents on other hosts need a routable address. */
  readonly natsListenHost?: string;
  readonly natsPort?: number;
  readonly workerConcurrency?: number;
  readonly logger: Logger;
  /** Tests shorten deploy timeouts; `--lb-apply-timeout` sets lbAppliedMs. */
  readonly timeouts?: Partial<DeployTimeouts>;
  readonly joinTokenTtlMs?: number;
  /** `--drain-timeout`: how long a maintenance window waits for a drained apiserver's sessions. */
  readonly windowDrainMs?: number;
  readonly stateReplicas?: number;
  /** The lifetime of agent client certificates (agents renew past two thirds of it); default LEAF_VALIDITY_DAYS. */
  readonly agentCertTtlMs?: number;
  /** How often spec.certificates.renewBefore is looked at (default hourly); tests shorten it. */
  readonly certCheckIntervalMs?: number;
  /**
   * host:port for the Prometheus endpoint (GET /metrics), `--metrics-listen`; absent: no endpoint (the default, since
   * the page shows the cluster's topology to whoever reaches it). Port 0 picks a free one (tests).
   */
  readonly metricsListen?: string;
  /** How often the metrics' etcd health is read (default a minute); certificates follow certCheckIntervalMs. */
  readonly metricsEtcdIntervalMs?: number;
  /**
   * `--trust-key-file`: the key `coordinatorctl coordinators upload-trust` printed on the leader, in a file (0600). A
   * new coordinator on an external NATS takes the cluster's CA from the sealed bundle with it (leader/trust-bundle.ts).
   */
  readonly trustKeyFile?: string;
  /**
   * `--lease-ttl`: the leader lease's TTL (core/leader-lease.ts). Several coordinators on one NATS state elect one
   * leader; a standby takes over this long after the leader's last renewal. Default DEFAULT_LEASE_TTL_MS.
   */
  readonly leaseTtlMs?: number;
}

export interface Coordinator {
  readonly port: number;
  /** The metrics endpoint's URL, when --metrics-listen is set. */
  readonly metricsUrl?: string;
  readonly adminConfPath: string;
  readonly ca: CertificateAuthority;
  readonly hub: SessionHub;
  readonly natsUrl: string;
  /** Whether this coordinator leads now (it alone acts). */
  isLeader(): boolean;
  stop(): Promise<void>;
}

async function fixedClusterName(dataDir: string, requested: string): Promise<string> {
  const path = join(dataDir, 'cluster-name');
  const stored = await readFile(path, 'utf8').then(
    (t) => t.trim(),
    () => undefined,
  );
  if (stored && stored !== requested) {
    throw new KubeadmHaError(`${dataDir} belongs to cluster "${stored}", not "${requested}"; start with --cluster ${stored}, or use another --data-dir`);
  }
  if (!stored) await writeFileAtomic(path, `${requested}\n`, 0o600);
  return requested;
}

export async function startCoordinator(options: CoordinatorOptions): Promise<Coordinator> {
  const logger = options.logger.child({ component: 'coordinator' });
  const problem = dns1123LabelProblem(options.clusterName);
  if (problem) throw new KubeadmHaError(`--cluster: ${problem}`);
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  // Before anything in the directory is touched: a second coordinator must not disturb the first one's nats-server.
  const lock = await lockDataDir(options.dataDir);
  try {
    return await startLocked(options, logger, lock);
  } catch (err) {
    await lock.release();
    throw err;
  }
}

async function startLocked(options: CoordinatorOptions, logger: Logger, lock: DataDirLock): Promise<Coordinator> {
  const clusterName = await fixedClusterName(options.dataDir, options.clusterName);
  const pkiDir = join(options.dataDir, 'pki');
  // On an external NATS the CA may be the cluster's, brought from the leader (below); the embedded one needs it first.
  const localCa = options.nats ? undefined : await loadOrCreateCa(pkiDir);

  let localNats: LocalNats | undefined;
  let endpoint: NatsEndpoint;
  let agentNatsUrl: string;
  /** Empty: agents verify NATS against the CA they pinned (the embedded server's certificate is ours). */
  let agentNatsCaPem = '';
  let natsCertTimer: NodeJS.Timeout | undefined;
  if (options.nats) {
    endpoint = options.nats;
    agentNatsUrl = options.nats.agentUrl ?? options.nats.url;
    agentNatsCaPem = options.nats.tls?.ca ?? '';
  } else {
    const natsHost = options.natsListenHost ?? '127.0.0.1';
    // TLS always: the backend set it carries decides where every haproxy sends apiserver traffic.
    const natsDir = join(options.dataDir, 'nats');
    const ca = localCa!;
    const natsCert = await ensureNatsServerCert(ca, natsDir, natsHost, { logger });
    localNats = await startLocalNats({
      dataDir: options.dataDir,
      clusterName,
      logger,
      host: natsHost,
      ...(options.natsPort ? { port: options.natsPort } : {}),
      tls: natsCert.server,
      clientTls: natsCert.client,
    });
    endpoint = localNats;
    agentNatsUrl = localNats.url;
    // A coordinator that runs for a year must not let the NATS certificate expire under every agent: the check that
    // runs at start (reissue 30 days before expiry) runs twice a day, and nats-server reloads the new pair live.
    const running = localNats;
    natsCertTimer = setInterval(
      () =>
        void ensureNatsServerCert(ca, natsDir, natsHost, { logger })
          .then((cert) => (cert.issued ? running.reload() : undefined))
          .catch((err: unknown) => logger.error({ err: err instanceof Error ? err.message : String(err) }, 'cannot renew the NATS server certificate')),
      NATS_CERT_CHECK_MS,
    );
    natsCertTimer.unref();
  }
  let nc: NatsConnection | undefined;
  let lease: LeaderLease | undefined;
  const operations = new TermOperations();
  try {
    nc = await connectNats(endpoint, { name: `kubeadm-ha-coordinator ${clusterName}`, logger });
    // Only the leader writes the cluster's state (the lease itself is written beside this guard).
    const store = await StateStore.open(nc, {
      replicas: options.stateReplicas ?? 1,
      writeGuard: () => {
        lease?.assertLeader('a state write');
        const term = operations.workTerm();
        if (lease && term !== undefined && term !== lease.term()) {
          throw new NotLeaderError(`an operation of leader term ${term} may not write in term ${lease.term()}; the current term resumes it`, lease.leader());
        }
      },
    });
    // Shared trust: every coordinator of the cluster signs with one CA, recorded by its pin at the first start.
    const authDir = join(options.dataDir, NATS_AUTH_DIR);
    const ca = localCa ?? (await adoptClusterCa(store.stateKv, clusterName, pkiDir, options.trustKeyFile, authDir));
    await claimClusterCa(store.stateKv, clusterName, ca.pin, pkiDir);
    const admin = await writeAdminCredentials(ca, options.dataDir, { server: options.coordinators ?? options.advertise });
    lease = new LeaderLease({
      kv: store.stateKv,
      cluster: clusterName,
      self: options.advertise,
      instance: await instanceId(options.dataDir),
      logger,
      ...(options.leaseTtlMs ? { ttlMs: options.leaseTtlMs } : {}),
    });
    const leaderLease = lease;
    const state = store.cluster(clusterName);
    // On an external cluster, agents are users of the agents' account when this data dir has its keys (nats-auth).
    const externalUsers = options.nats
      ? await ExternalNatsUsers.load(options.dataDir, { url: endpoint.url, ...(endpoint.tls ? { tls: endpoint.tls } : {}) }, state.natsRevocations, logger)
      : undefined;
    if (options.nats && !externalUsers) {
      logger.warn(
        `${authDir} has no NATS auth keys: agents get no NATS user from this coordinator (run kubeadm-ha-coordinator nats-auth, or bring them with --trust-key-file)`,
      );
    }
    const registry = new KvAgentRegistry(
      () => state,
      () => clusterName,
      localNats ?? externalUsers,
    );
    const agentCertTtlMs = options.agentCertTtlMs ?? LEAF_VALIDITY_DAYS * 86_400_000;
    const renewer = createCertificateRenewer({ ca, registry, validityMs: agentCertTtlMs, logger });
    // An agent's report of an applied backend-set version is checked against the one in the store.
    const hub = new SessionHub({
      logger,
      publishedLbVersion: async () => (await store.backendSets.current(clusterName)).version,
      renewCertificate: (agent, csrPem) => renewer.renew(agent, csrPem),
      natsEndpoint: async (name) => ({ url: agentNatsUrl, caPem: agentNatsCaPem, userJwt: (await registry.natsUserJwt(name)) ?? '' }),
    });
    const tokens = new BootstrapTokens(() => state.tokens, logger.child({ component: 'tokens' }));
    const registryConfigPath = join(options.dataDir, 'registry-config.json');
    const runtime: CoordinatorRuntime = {
      settings: { ...options, etcdSnapshotDir: join(options.dataDir, SNAPSHOT_DIR_NAME) },
      clusterName,
      caPin: ca.pin,
      hub,
      state,
      progress: new KvClusterProgress(state, () => ({ coordinator: options.advertise, term: leaderLease.term() })),
      backends: new KvBackendSets(store.backendSets, clusterName, hub),
      registry,
      operations,
      tokens,
      logger,
      leaderTerm: () => leaderLease.term(),
      ...(options.nats ? { uploadTrust: () => uploadTrustBundle(store.stateKv, clusterName, pkiDir, ca.pin, authDir) } : {}),
      async revokeAgent(name, reason) {
        const existed = await registry.revoke(name, reason);
        hub.revoke(name, reason);
        logger.info({ host: name, reason, existed }, 'agent revoked');
        return existed;
      },
      coordinatorCertificates: async () => {
        const adminNotAfter = await adminConfNotAfter(admin.path);
        return [{ name: 'coordinator CA', notAfter: ca.cert.notAfter }, ...(adminNotAfter ? [{ name: 'admin.conf', notAfter: adminNotAfter }] : [])];
      },
      readRegistryConfig: () => readFile(registryConfigPath, 'utf8').catch(() => undefined),
      writeRegistryConfig: async (content) => {
        if (content === undefined) await rm(registryConfigPath, { force: true });
        else await writeFileAtomic(registryConfigPath, content, 0o600);
      },
    };
    const leadership = startLeadership(runtime, leaderLease, {
      operations,
      indexAgentKeys: () => registry.indexAgentKeys(),
      ...(options.certCheckIntervalMs !== undefined ? { certCheckIntervalMs: options.certCheckIntervalMs } : {}),
      logger,
    });
    // Bound before anything else serves or resumes: a --metrics-listen that cannot be had stops the start here,
    // not under an operation resumed a moment before.
    let metrics: { readonly url: string; stop(): Promise<void> } | undefined;
    if (options.metricsListen !== undefined) {
      try {
        metrics = await startClusterMetrics(runtime, hub, {
          listen: options.metricsListen,
          ...(options.metricsEtcdIntervalMs !== undefined ? { etcdIntervalMs: options.metricsEtcdIntervalMs } : {}),
          ...(options.certCheckIntervalMs !== undefined ? { certIntervalMs: options.certCheckIntervalMs } : {}),
        });
      } catch (err) {
        hub.close();
        throw new KubeadmHaError(`cannot serve metrics on --metrics-listen ${options.metricsListen}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    let server: CoordinatorServer;
    try {
      server = await startCoordinatorServer({
        listen: options.listen,
        ca,
        extraSans: advertiseSans(options.advertise),
        tokens,
        registry,
        hub,
        clusterInfo: () => ({ clusterName, natsUrl: agentNatsUrl, ...(agentNatsCaPem ? { natsCaPem: agentNatsCaPem } : {}) }),
        specRole: async (name) => (await state.spec.get())?.value.nodes.find((n) => n.name === name)?.role,
        admin: leadership.adminHandlers,
        assertLeader: (what) => leaderLease.assertLeader(what),
        agentCertTtlMs,
        logger,
      });
    } catch (err) {
      await metrics?.stop();
      hub.close();
      throw err;
    }
    // Elected (a lone coordinator at once) or standing by, before the start is reported: the first read of the lease.
    leaderLease.start();
    await leaderLease.firstRead();
    logger.info(
      { listen: options.listen, port: server.port, cluster: clusterName, adminConf: admin.path, leader: leaderLease.leader() },
      leaderLease.isLeader() ? 'coordinator started; it leads' : 'coordinator started as a standby',
    );
    const connection = nc;
    return {
      port: server.port,
      ...(metrics ? { metricsUrl: metrics.url } : {}),
      adminConfPath: admin.path,
      ca,
      hub,
      natsUrl: agentNatsUrl,
      isLeader: () => leaderLease.isLeader(),
      async stop() {
        clearInterval(natsCertTimer);
        await metrics?.stop();
        // Stops acting first (its operations stay recorded as running for the next leader), then hands over.
        await leaderLease.stop();
        leadership.stop();
        hub.close();
        await server.stop(2_000);
        await connection.close().catch(() => undefined);
        await localNats?.close();
        await lock.release();
      },
    };
  } catch (err) {
    clearInterval(natsCertTimer);
    await lease?.stop().catch(() => undefined);
    await nc?.close().catch(() => undefined);
    await localNats?.close();
    throw err;
  }
}

/** The data dir's identity in the leader lease, made once: its own lease from a previous run is taken back at once. */
async function instanceId(dataDir: string): Promise<string> {
  const path = join(dataDir, 'coordinator-instance');
  const stored = (await readFile(path, 'utf8').catch(() => '')).trim();
  if (/^[0-9a-f]{32}$/.test(stored)) return stored;
  const made = randomBytes(16).toString('hex');
  await writeFileAtomic(path, `${made}\n`, 0o600);
  return made;
}

function advertiseSans(advertise: string): { dnsNames: string[]; ips: string[] } {
  const host = advertise.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return /^[0-9.]+$|:/.test(host) ? { dnsNames: [], ips: [host] } : { dnsNames: [host], ips: [] };
}
