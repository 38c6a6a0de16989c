/**
 * The coordinator's gRPC server: AgentService and AdminService on one TLS port. TLS asks for client certificates
 * without requiring them (Register comes before the agent has one); every RPC other than Register is then refused
 * unless the verified certificate fits it (auth.ts). AdminService methods that are not implemented yet still
 * authenticate first, so probing the admin API never tells an outsider more than UNAUTHENTICATED. Before any of that,
 * request-limits.ts bounds what a caller without a certificate can make the server read (lib/grpc/limits.ts).
 */
import { hostname, networkInterfaces } from 'node:os';
import { isIP } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { KubeadmHaError, SpecError } from '../../core/errors.js';
import { MAX_AUTHENTICATED_MESSAGE_BYTES, MAX_UNAUTHENTICATED_MESSAGE_BYTES } from '../../lib/grpc/limits.js';
import { toStatusError, unimplemented } from '../../lib/grpc/status.js';
import { silentLogger, type Logger } from '../../lib/log.js';
import type { AdminServiceHandlers } from '../../proto/generated/kubeadm_ha/v1/AdminService.js';
import type { AgentServiceHandlers } from '../../proto/generated/kubeadm_ha/v1/AgentService.js';
import { adminServiceDefinition, agentServiceDefinition, type NodeRole } from '../../proto/index.js';
import { issueServerCert, type CertificateAuthority, type IssuedKeyPair } from '../pki/ca.js';
import type { SessionHub } from '../sessions.js';
import { PeerAuthenticator } from './auth.js';
import { createServerCredentials } from './credentials.js';
import { register, type ClusterInfo } from './register.js';
import type { AgentRegistryStore, BootstrapTokenVerifier } from './registry.js';
import { limitRequestSizes, methodPaths, requestGate } from './request-limits.js';

export interface CoordinatorServerOptions {
  /** host:port; port 0 picks a free one (tests). */
  readonly listen: string;
  readonly ca: CertificateAuthority;
  /** Extra names and addresses agents may dial; the listen host (or every local address for 0.0.0.0/::) is always in. */
  readonly extraSans?: { readonly dnsNames?: readonly string[]; readonly ips?: readonly string[] };
  readonly tokens: BootstrapTokenVerifier;
  readonly registry: AgentRegistryStore;
  readonly hub: SessionHub;
  readonly clusterInfo: () => ClusterInfo | Promise<ClusterInfo>;
  /** The name's role in the deployed spec (Register: a spec'd control-plane name needs a control-plane token). */
  readonly specRole?: (agentName: string) => Promise<NodeRole | undefined>;
  /** The admin API; methods left out answer UNIMPLEMENTED (after authentication). */
  readonly admin?: Partial<AdminServiceHandlers>;
  /** The lifetime of agent client certificates (Register and renewals); default LEAF_VALIDITY_DAYS. */
  readonly agentCertTtlMs?: number;
  /**
   * Coordinator HA: throws NotLeaderError (naming the leader) while this coordinator is a standby. Register and Session
   * are refused with it, so agents dial the leader; the admin handlers decide per method (daemon.ts).
   */
  readonly assertLeader?: (what: string) => void;
  readonly logger?: Logger;
}

export interface CoordinatorServer {
  /** The bound port (useful with port 0). */
  readonly port: number;
  readonly serverCert: IssuedKeyPair;
  /** Stops accepting calls; after graceMs, cancels whatever is still running. Close the hub first to end sessions cleanly. */
  stop(graceMs?: number): Promise<void>;
}

export function splitHostPort(address: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]*)):(\d{1,5})$/.exec(address.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new SpecError('listen address', [{ path: '(value)', message: `"${address}" is not host:port (use [addr]:port for IPv6)` }]);
  return { host: m[1] ?? m[2] ?? '', port };
}

/** The SANs of the serving certificate: what agents and coordinatorctl may dial. */
export function defaultServerSans(listenHost: string): { dnsNames: string[]; ips: string[] } {
  const dnsNames = new Set(['localhost']);
  const ips = new Set(['127.0.0.1', '::1']);
  const unspecified = listenHost === '' || listenHost === '0.0.0.0' || listenHost === '::';
  if (unspecified) {
    dnsNames.add(hostname().toLowerCase());
    for (const addrs of Object.values(networkInterfaces())) for (const a of addrs ?? []) if (!a.address.startsWith('fe80:')) ips.add(a.address);
  } else if (isIP(listenHost)) {
    ips.add(listenHost);
  } else {
    dnsNames.add(listenHost.toLowerCase());
  }
  return { dnsNames: [...dnsNames], ips: [...ips] };
}

/** Wraps each AdminService method with the admin check and our error mapping. */
function guardedAdminHandlers(auth: PeerAuthenticator, impl: Partial<AdminServiceHandlers>, logger: Logger): grpc.UntypedServiceImplementation {
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const [method, def] of Object.entries(adminServiceDefinition)) {
    const provided = (impl as Record<string, ((...args: unknown[]) => unknown) | undefined>)[method];
    if (def.requestStream) throw new KubeadmHaError(`AdminService.${method}: client streaming is not supported by the guard`);
    if (!def.responseStream) {
      handlers[method] = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        const denied = auth.authorizeAdmin(call);
        if (denied) return callback(denied);
        if (!provided) return callback(unimplemented(`AdminService.${method}`));
        Promise.resolve()
          .then(() => provided(call, callback))
          .catch((err: unknown) => callback(toStatusError(err, logger)));
      };
    } else {
      handlers[method] = (call: grpc.ServerWritableStream<unknown, unknown>) => {
        const denied = auth.authorizeAdmin(call);
        if (denied) return void call.emit('error', denied);
        if (!provided) return void call.emit('error', unimplemented(`AdminService.${method}`));
        Promise.resolve()
          .then(() => provided(call))
          .catch((err: unknown) => call.emit('error', toStatusError(err, logger)));
      };
    }
  }
  return handlers;
}

function agentHandlers(opts: CoordinatorServerOptions, auth: PeerAuthenticator, logger: Logger): AgentServiceHandlers {
  const deps = {
    ca: opts.ca,
    tokens: opts.tokens,
    registry: opts.registry,
    clusterInfo: opts.clusterInfo,
    isConnected: (name: string) => opts.hub.isConnected(name),
    specRole: opts.specRole ?? (async () => undefined),
    agentCertTtlMs: opts.agentCertTtlMs,
    logger,
  };
  return {
    Register(call, callback) {
      Promise.resolve()
        .then(() => {
          opts.assertLeader?.('Register');
          return register(deps, call.request);
        })
        .then((res) => (res instanceof Error ? callback(res) : callback(null, res)))
        .catch((err: unknown) => callback(toStatusError(err, logger)));
    },
    Session(call) {
      auth
        .authorizeAgent(call)
        .then((outcome) => {
          if ('error' in outcome) {
            logger.warn({ peer: call.getPeer(), reason: outcome.error.details }, 'Session refused');
            call.emit('error', outcome.error);
            return;
          }
          // Authenticated first: only an agent of this cluster learns where the leader is.
          opts.assertLeader?.('Session');
          opts.hub.attach(outcome.agent.name, call, outcome.fingerprint);
          // A renewed certificate is in use: the one it replaced stops opening sessions.
          if (outcome.agent.previousCertFingerprint && outcome.fingerprint === outcome.agent.certFingerprint) {
            opts.registry
              .retirePreviousCertificate(outcome.agent.name, outcome.fingerprint)
              .catch((err: unknown) =>
                logger.warn({ host: outcome.agent.name, err: String(err) }, 'cannot retire the replaced certificate; retried at the next session'),
              );
          }
        })
        .catch((err: unknown) => call.emit('error', toStatusError(err, logger)));
    },
  };
}

export async function startCoordinatorServer(opts: CoordinatorServerOptions): Promise<CoordinatorServer> {
  const logger = (opts.logger ?? silentLogger).child({ component: 'grpc' });
  const { host, port } = splitHostPort(opts.listen);
  const sans = defaultServerSans(host);
  const serverCert = await issueServerCert(opts.ca, {
    dnsNames: [...sans.dnsNames, ...(opts.extraSans?.dnsNames ?? [])],
    ips: [...sans.ips, ...(opts.extraSans?.ips ?? [])],
  });
  const auth = new PeerAuthenticator(opts.ca, opts.registry);
  const server = new grpc.Server({
    // Dead agents are noticed by transport keepalive as well as by the hub's pings.
    'grpc.keepalive_time_ms': 20_000,
    'grpc.keepalive_timeout_ms': 10_000,
    // Checked on each message's length prefix, for every caller; Register is bounded tighter by requestGate.
    'grpc.max_receive_message_length': MAX_AUTHENTICATED_MESSAGE_BYTES,
    interceptors: [requestGate(methodPaths(agentServiceDefinition, ['Register']), logger)],
  });
  const agentService = limitRequestSizes(agentServiceDefinition, { Register: MAX_UNAUTHENTICATED_MESSAGE_BYTES });
  server.addService(agentService, agentHandlers(opts, auth, logger) as unknown as grpc.UntypedServiceImplementation);
  server.addService(adminServiceDefinition, guardedAdminHandlers(auth, opts.admin ?? {}, logger));
  const credentials = createServerCredentials({ caPem: opts.ca.certPem, certChainPem: serverCert.chainPem, keyPem: serverCert.keyPem });
  const bindHost = host.includes(':') ? `[${host}]` : host || '0.0.0.0';
  const boundPort = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${bindHost}:${port}`, credentials, (err, p) => (err ? reject(err) : resolve(p)));
  });
  logger.info({ listen: `${bindHost}:${boundPort}`, caPin: opts.ca.pin }, 'gRPC server listening');

  return {
    port: boundPort,
    serverCert,
    stop: (graceMs = 5_000) =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => server.forceShutdown(), graceMs);
        force.unref();
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
