#!/usr/bin/env node
/** kubeadm-ha-coordinator: the daemon coordinatorctl talks to and agents dial. */
import { parseArgs } from 'node:util';
import { KubeadmHaError } from '../core/errors.js';
import { COORDINATOR_DATA_DIR } from '../core/host/paths.js';
import { parseDurationMs } from '../core/duration.js';
import { DEFAULT_WORKER_CONCURRENCY } from '../core/plan.js';
import { versionLine } from '../core/version.js';
import { parseCoordinatorAddresses } from '../core/coordinator-addresses.js';
import { MAX_LEASE_TTL_MS, MIN_LEASE_TTL_MS } from '../core/leader-lease.js';
import { createRootLogger } from '../lib/log.js';
import { startCoordinator } from './daemon.js';
import { splitHostPort } from './grpc/server.js';
import { externalNatsFromFlags } from './nats/external.js';
import { initExternalAuth } from './nats/external-auth.js';
import { LEAF_VALIDITY_DAYS } from './pki/ca.js';

// grpc-js sets the TLS servername to the IP it dials (DEP0123); harmless, and not for an operator's terminal.
process.noDeprecation = true;

const USAGE = `usage: kubeadm-ha-coordinator --cluster NAME [flags]
       kubeadm-ha-coordinator nats-auth [--data-dir DIR]   (keys and server include for --nats-url; see nats-auth --help)

  --cluster NAME          the cluster this coordinator manages (metadata.name of cluster.yaml); fixed at first start
  --data-dir DIR          state, CA, admin.conf and the local NATS (default ${COORDINATOR_DATA_DIR})
  --listen HOST:PORT      gRPC for agents and coordinatorctl (default 0.0.0.0:9443)
  --advertise HOST:PORT   the address agents dial, written into admin.conf and agent.yaml (default: the listen address)
  --coordinators LIST     every coordinator's HOST:PORT, comma-separated, written into admin.conf and agent.yaml so
                          that agents and coordinatorctl find the one that leads (default: --advertise alone)
  --lease-ttl DUR         coordinators sharing one NATS state elect one leader by a lease in KV; a standby takes over
                          this long after the leader's last renewal, and a leader that cannot renew stops acting at
                          half of it (default 10s)
  --nats-listen HOST      where the supervised nats-server listens for agents (default: the advertise host)
  --nats-port PORT        its client port (default: the one this data dir used before, else a free one; remembered)
  --nats-url URLS         use an existing NATS cluster with JetStream instead (comma-separated)
  --nats-creds FILE       the .creds file for --nats-url
  --nats-ca FILE          the CA of the --nats-url servers (TLS is required; agents receive this CA to verify them)
  --nats-insecure         allow plaintext to --nats-url instead (the backend set is then not authenticated)
  --trust-key-file FILE   a new standby coordinator on --nats-url: the file holding the key that
                          \`coordinatorctl coordinators upload-trust\` printed on the leader; the cluster's CA is taken from
                          NATS with it once (the key never goes on the command line)
  --state-replicas N      JetStream KV replicas on an external cluster (default 1; 3 on an R3 cluster)
  --worker-concurrency N  workers joined at once (default ${DEFAULT_WORKER_CONCURRENCY})
  --agent-cert-ttl DUR    lifetime of agent client certificates, e.g. 8760h (default ${LEAF_VALIDITY_DAYS}d); agents renew
                          theirs over their session past two thirds of it
  --cert-check-interval DUR  how often spec.certificates.renewBefore is looked at (default 1h)
  --drain-timeout DUR     how long an upgrade's or renewal's window waits for the connections of a drained apiserver
                          to end before its work starts anyway (default 15s; the apiserver's graceful shutdown ends
                          the rest)
  --lb-apply-timeout DUR  how long a removal, upgrade or renewal waits for every load balancer to apply a new backend
                          set before it stops and says which one lags (default 60s)
  --metrics-listen HOST:PORT  serve Prometheus metrics for the whole cluster at http://HOST:PORT/metrics (default: off;
                          the page names every node, address and version to whoever reaches it, so choose where,
                          e.g. 127.0.0.1:9444 for a local scraper or an address on your monitoring network)
  --log-level LEVEL       debug | info | warn | error
  --version`;

const NATS_AUTH_USAGE = `usage: kubeadm-ha-coordinator nats-auth [--data-dir DIR] [--resolver-dir DIR]

  For an operator-run NATS cluster (--nats-url): makes the operator, the accounts and the coordinators' user under
  DIR/nats-auth (0600), once, and writes DIR/nats-auth/kubeadm-ha-auth.conf, the include every nats-server of the
  cluster needs (public JWTs only: the trusted operator, the system account, the full resolver and the accounts).
  Start the coordinators with --nats-creds DIR/nats-auth/coordinator.creds; agents then get NATS users from them and
  nothing changes on the servers per agent or per revocation. Run it again to rewrite the include; the keys stay.

  --data-dir DIR       the coordinator's data dir (default ${COORDINATOR_DATA_DIR})
  --resolver-dir DIR   where each nats-server keeps the account JWTs pushed to it (default /var/lib/nats/kubeadm-ha-jwt)`;

async function natsAuth(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        'data-dir': { type: 'string', default: COORDINATOR_DATA_DIR },
        'resolver-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`kubeadm-ha-coordinator nats-auth: ${(err as Error).message}\n${NATS_AUTH_USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${NATS_AUTH_USAGE}\n`);
    return 0;
  }
  const resolverDir = values['resolver-dir'];
  if (resolverDir !== undefined && !resolverDir.startsWith('/')) {
    process.stderr.write(`kubeadm-ha-coordinator nats-auth: --resolver-dir must be an absolute path, not "${resolverDir.slice(0, 80)}"\n`);
    return 2;
  }
  const made = await initExternalAuth(values['data-dir'], ...(resolverDir !== undefined ? [resolverDir] : []));
  process.stderr.write(
    `kubeadm-ha-coordinator nats-auth: include ${made.includePath} in every nats-server of the cluster (with JetStream and TLS), and start the coordinators with --nats-creds ${made.credsPath}\n`,
  );
  process.stdout.write(`${made.includePath}\n`);
  return 0;
}

async function main(): Promise<number> {
  if (process.argv[2] === 'nats-auth') return natsAuth(process.argv.slice(3));
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        cluster: { type: 'string' },
        'data-dir': { type: 'string', default: COORDINATOR_DATA_DIR },
        listen: { type: 'string', default: '0.0.0.0:9443' },
        advertise: { type: 'string' },
        coordinators: { type: 'string' },
        'lease-ttl': { type: 'string' },
        'nats-listen': { type: 'string' },
        'nats-port': { type: 'string' },
        'nats-url': { type: 'string' },
        'nats-creds': { type: 'string' },
        'nats-ca': { type: 'string' },
        'nats-insecure': { type: 'boolean', default: false },
        'trust-key-file': { type: 'string' },
        'state-replicas': { type: 'string', default: '1' },
        'worker-concurrency': { type: 'string', default: String(DEFAULT_WORKER_CONCURRENCY) },
        'agent-cert-ttl': { type: 'string' },
        'cert-check-interval': { type: 'string' },
        'lb-apply-timeout': { type: 'string' },
        'drain-timeout': { type: 'string' },
        'metrics-listen': { type: 'string' },
        'log-level': { type: 'string', default: 'info' },
        version: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`kubeadm-ha-coordinator: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`${versionLine('kubeadm-ha-coordinator')}\n`);
    return 0;
  }
  if (!values.cluster) {
    process.stderr.write(`kubeadm-ha-coordinator: --cluster is required\n${USAGE}\n`);
    return 2;
  }
  const number = (flag: string, text: string | undefined, min: number): number | undefined => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) throw new KubeadmHaError(`--${flag} must be a whole number of at least ${min}, not "${text}"`);
    return n;
  };
  const advertise = values.advertise ?? values.listen;
  if (/^(0\.0\.0\.0|\[::\]):/.test(advertise)) {
    process.stderr.write('kubeadm-ha-coordinator: --advertise is required when --listen is a wildcard address: agents need a routable address\n');
    return 2;
  }
  const natsPort = number('nats-port', values['nats-port'], 1);
  const metricsListen = values['metrics-listen'];
  if (metricsListen !== undefined) {
    try {
      // The same parse --listen gets; refused here, before anything starts.
      splitHostPort(metricsListen);
    } catch {
      process.stderr.write(
        `kubeadm-ha-coordinator: --metrics-listen must be HOST:PORT (e.g. 127.0.0.1:9444, [::1]:9444), not "${metricsListen.slice(0, 80)}"\n`,
      );
      return 2;
    }
  }
  const durationFlag = (flag: string, text: string | undefined, minMs: number, expected: string): { ms?: number; refusal?: string } => {
    if (text === undefined) return {};
    const ms = parseDurationMs(text);
    return ms === undefined || ms < minMs ? { refusal: `--${flag} must be ${expected}, not "${text}"` } : { ms };
  };
  const durations = {
    agentCertTtl: durationFlag('agent-cert-ttl', values['agent-cert-ttl'], 1000, 'a duration of at least 1s (e.g. 8760h)'),
    certCheckInterval: durationFlag('cert-check-interval', values['cert-check-interval'], 1000, 'a duration of at least 1s (e.g. 1h)'),
    lbApplied: durationFlag('lb-apply-timeout', values['lb-apply-timeout'], 1000, 'a duration of at least 1s (e.g. 60s)'),
    windowDrain: durationFlag('drain-timeout', values['drain-timeout'], 0, 'a duration (e.g. 15s, or 0s not to wait)'),
    leaseTtl: durationFlag('lease-ttl', values['lease-ttl'], MIN_LEASE_TTL_MS, `a duration of at least ${MIN_LEASE_TTL_MS / 1000}s (e.g. 10s)`),
  };
  const refused = Object.values(durations).find((d) => d.refusal);
  if (refused) {
    process.stderr.write(`kubeadm-ha-coordinator: ${refused.refusal}\n`);
    return 2;
  }
  const agentCertTtlMs = durations.agentCertTtl.ms;
  const certCheckIntervalMs = durations.certCheckInterval.ms;
  const lbAppliedMs = durations.lbApplied.ms;
  const windowDrainMs = durations.windowDrain.ms;
  const leaseTtlMs = durations.leaseTtl.ms;
  if (leaseTtlMs !== undefined && leaseTtlMs > MAX_LEASE_TTL_MS) {
    process.stderr.write(`kubeadm-ha-coordinator: --lease-ttl must be at most ${MAX_LEASE_TTL_MS / 1000}s, not "${values['lease-ttl']}"\n`);
    return 2;
  }
  const coordinators = values.coordinators;
  if (coordinators !== undefined) {
    const parsed = parseCoordinatorAddresses(coordinators);
    const problem =
      'problem' in parsed ? parsed.problem : parsed.addresses.includes(advertise) ? undefined : `does not name this coordinator's --advertise ${advertise}`;
    if (problem) {
      process.stderr.write(`kubeadm-ha-coordinator: --coordinators ${problem}\n`);
      return 2;
    }
  }
  const nats = await externalNatsFromFlags({
    url: values['nats-url'],
    creds: values['nats-creds'],
    ca: values['nats-ca'],
    insecure: values['nats-insecure'],
  });
  const trustKeyFile = values['trust-key-file'];
  if (trustKeyFile !== undefined && !nats) {
    process.stderr.write('kubeadm-ha-coordinator: --trust-key-file only applies with --nats-url: a standby shares the NATS cluster of the leader\n');
    return 2;
  }
  const logger = createRootLogger({ level: values['log-level'], name: 'kubeadm-ha-coordinator' });
  if (nats && !nats.tls) logger.warn('NATS without TLS (--nats-insecure): anyone on the path can forge the backend set haproxy follows');
  const coordinator = await startCoordinator({
    dataDir: values['data-dir'],
    listen: values.listen,
    advertise,
    clusterName: values.cluster,
    natsListenHost: values['nats-listen'] ?? advertise.replace(/:\d+$/, '').replace(/^\[|\]$/g, ''),
    ...(natsPort ? { natsPort } : {}),
    ...(nats ? { nats } : {}),
    stateReplicas: number('state-replicas', values['state-replicas'], 1) ?? 1,
    workerConcurrency: number('worker-concurrency', values['worker-concurrency'], 1) ?? DEFAULT_WORKER_CONCURRENCY,
    ...(agentCertTtlMs !== undefined ? { agentCertTtlMs } : {}),
    ...(certCheckIntervalMs !== undefined ? { certCheckIntervalMs } : {}),
    ...(lbAppliedMs !== undefined ? { timeouts: { lbAppliedMs } } : {}),
    ...(windowDrainMs !== undefined ? { windowDrainMs } : {}),
    ...(metricsListen !== undefined ? { metricsListen } : {}),
    ...(leaseTtlMs !== undefined ? { leaseTtlMs } : {}),
    ...(coordinators !== undefined ? { coordinators } : {}),
    ...(trustKeyFile !== undefined ? { trustKeyFile } : {}),
    logger,
  });
  process.stderr.write(
    `kubeadm-ha-coordinator: cluster ${values.cluster}, listening on ${values.listen} (port ${coordinator.port}); CA pin ${coordinator.ca.pin}; admin credentials in ${coordinator.adminConfPath}${coordinator.metricsUrl ? `; metrics at ${coordinator.metricsUrl}` : ''}\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => void coordinator.stop().finally(resolve);
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`kubeadm-ha-coordinator: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
