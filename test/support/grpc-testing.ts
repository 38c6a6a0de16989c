/**
 * An in-process coordinator endpoint for tests: a fresh CA in a temp dir, the real gRPC server on loopback with real
 * TLS, in-memory agent registry and a fixed set of bootstrap tokens. Integration tests elsewhere (phases with real
 * agents) can use it too. Lives under test/ so that it never ships.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { ClusterInfo } from '../../coordinator/grpc/register.js';
import { InMemoryAgentRegistry, type BootstrapTokenVerifier, type VerifiedBootstrapToken } from '../../coordinator/grpc/registry.js';
import { startCoordinatorServer, type CoordinatorServer } from '../../coordinator/grpc/server.js';
import { loadAdminCredentials, writeAdminCredentials, type AdminCredentials } from '../../coordinator/pki/admin-credentials.js';
import { loadOrCreateCa, type CertificateAuthority } from '../../coordinator/pki/ca.js';
import { SessionHub, type SessionHubOptions } from '../../coordinator/sessions.js';
import type { Logger } from '../../lib/log.js';
import type { HostFacts } from '../../proto/generated/kubeadm_ha/v1/HostFacts.js';
import { AdminService, AgentService, type AdminServiceClient, type AdminServiceHandlers, type AgentServiceClient, type NodeRole } from '../../proto/index.js';

/** Accepts exactly the listed tokens and counts every verification, so tests can prove none happened. */
export class StaticTokenVerifier implements BootstrapTokenVerifier {
  calls = 0;
  constructor(private readonly tokens: Readonly<Record<string, NodeRole | undefined>>) {}

  async verify(token: string): Promise<VerifiedBootstrapToken | null> {
    this.calls++;
    if (!Object.hasOwn(this.tokens, token)) return null;
    const role = this.tokens[token];
    return { tokenId: token.split('.')[0]!, ...(role ? { role } : {}) };
  }
}

export interface TestCoordinator {
  readonly dir: string;
  readonly ca: CertificateAuthority;
  readonly registry: InMemoryAgentRegistry;
  readonly hub: SessionHub;
  readonly tokens: StaticTokenVerifier;
  readonly address: string;
  readonly server: CoordinatorServer;
  readonly admin: AdminCredentials;
  /** Restarts the gRPC server on the same port with the same CA, registry and hub state reset. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export const TEST_TOKENS = {
  any: 'abcdef.0123456789abcdef',
  worker: 'wwwwww.0123456789abcdef',
  controlPlane: 'cccccc.0123456789abcdef',
} as const;

export async function startTestCoordinator(
  opts: { hub?: SessionHubOptions; admin?: Partial<AdminServiceHandlers>; logger?: Logger; clusterInfo?: () => ClusterInfo } = {},
): Promise<TestCoordinator> {
  const dir = await mkdtemp(join(tmpdir(), 'kubeadm-ha-coordinator-'));
  const ca = await loadOrCreateCa(join(dir, 'pki'));
  const registry = new InMemoryAgentRegistry();
  const tokens = new StaticTokenVerifier({ [TEST_TOKENS.any]: undefined, [TEST_TOKENS.worker]: 'worker', [TEST_TOKENS.controlPlane]: 'control-plane' });
  let hub = new SessionHub(opts.hub);
  const start = (listen: string, h: SessionHub) =>
    startCoordinatorServer({
      listen,
      ca,
      tokens,
      registry,
      hub: h,
      clusterInfo: opts.clusterInfo ?? (() => ({ clusterName: 'test', natsUrl: 'tls://127.0.0.1:4222' })),
      admin: opts.admin,
      logger: opts.logger,
    });
  let server = await start('127.0.0.1:0', hub);
  const address = `127.0.0.1:${server.port}`;
  const { path } = await writeAdminCredentials(ca, dir, { server: address });
  const admin = await loadAdminCredentials(path);
  const self: TestCoordinator = {
    dir,
    ca,
    registry,
    get hub() {
      return hub;
    },
    tokens,
    address,
    get server() {
      return server;
    },
    admin,
    async restart() {
      hub.close();
      await server.stop(100);
      hub = new SessionHub(opts.hub);
      server = await start(address, hub);
    },
    async close() {
      hub.close();
      await server.stop(100);
      await rm(dir, { recursive: true, force: true });
    },
  };
  return self;
}

/** A CA that is not the test coordinator's, for agents whose pin must not match. */
export function createOtherCa(dir: string): Promise<CertificateAuthority> {
  return loadOrCreateCa(dir);
}

export function adminClient(address: string, creds: { caPem: string; keyPem?: string; certPem?: string }): AdminServiceClient {
  const credentials = grpc.credentials.createSsl(
    Buffer.from(creds.caPem),
    creds.keyPem ? Buffer.from(creds.keyPem) : null,
    creds.certPem ? Buffer.from(creds.certPem) : null,
  );
  return new AdminService(address, credentials) as unknown as AdminServiceClient;
}

export function agentClient(address: string, creds: { caPem: string; keyPem?: string; certPem?: string }): AgentServiceClient {
  const credentials = grpc.credentials.createSsl(
    Buffer.from(creds.caPem),
    creds.keyPem ? Buffer.from(creds.keyPem) : null,
    creds.certPem ? Buffer.from(creds.certPem) : null,
  );
  return new AgentService(address, credentials) as unknown as AgentServiceClient;
}

export function testFacts(hostname: string): HostFacts {
  return {
    hostname,
    addresses: [{ interface: 'eth0', address: '198.18.0.10', prefixLength: 24, family: 'ADDRESS_FAMILY_IPV4' }],
    interfaces: [{ name: 'eth0', mac: '02:00:00:00:00:0a', mtu: 1500, up: true }],
    kernel: '6.1.0',
    osRelease: 'Debian GNU/Linux 12 (bookworm)',
    kubeadmVersion: 'v1.31.2',
    kubeletVersion: 'v1.31.2',
    cri: { socket: 'unix:///run/containerd/containerd.sock', present: true, version: '1.7.22' },
    kubeletInstalledByPackageManager: true,
    swapOn: false,
    arch: 'amd64',
    cpus: 2,
    memoryBytes: 4 * 1024 ** 3,
    timeSynchronized: true,
  };
}
