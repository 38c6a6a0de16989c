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
import { InMemoryAgentRegistry, type BootstrapTokenVerifier, type TokenGrant } from '../../coordinator/grpc/registry.js';
import { startCoordinatorServer, type CoordinatorServer } from '../../coordinator/grpc/server.js';
import { loadAdminCredentials, type AdminCredentials } from '../../coordinator/pki/admin-conf.js';
import { writeAdminCredentials } from '../../coordinator/pki/admin-credentials.js';
import { loadOrCreateCa, type CertificateAuthority } from '../../coordinator/pki/ca.js';
import { SessionHub, type SessionHubOptions } from '../../coordinator/sessions.js';
import type { Logger } from '../../lib/log.js';
import type { HostFacts } from '../../proto/generated/kubeadm_ha/v1/HostFacts.js';
import { AdminService, AgentService, type AdminServiceClient, type AdminServiceHandlers, type AgentServiceClient, type NodeRole } from '../../proto/index.js';

/**
 * Accepts exactly the listed tokens, any number of times, and counts every check, so tests can prove none happened.
 * A token listed without a role admits control-plane (and so, lowered by the agent's hint, workers too). The real,
 * single-use tokens are tested against a real coordinator (test/integration/trust.test.ts).
 */
export class StaticTokenVerifier implements BootstrapTokenVerifier {
  calls = 0;
  consumed = 0;
  constructor(private readonly tokens: Readonly<Record<string, NodeRole | { role: NodeRole; nodeName: string } | undefined>>) {}

  async check(token: string): Promise<TokenGrant | null> {
    this.calls++;
    if (!Object.hasOwn(this.tokens, token)) return null;
    const entry = this.tokens[token];
    const bound = typeof entry === 'object' ? entry : undefined;
    const role = bound?.role ?? (typeof entry === 'string' ? entry : 'control-plane');
    return { tokenId: token.split('.')[0]!, role, createdAt: new Date(0), ...(bound ? { nodeName: bound.nodeName } : {}) };
  }
  async consume(): Promise<boolean> {
    this.consumed++;
    return true;
  }
  async refund(): Promise<void> {
    this.consumed--;
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
  /** A worker token bound to the node name w3, as `token create --node-name w3` makes one. */
  boundToW3: 'bbbbbb.0123456789abcdef',
} as const;

/** Tests that do not look at backend-set versions let agents report any: the published version is "infinite". */
const ANY_LB_VERSION: SessionHubOptions['publishedLbVersion'] = async () => Number.MAX_SAFE_INTEGER;

export async function startTestCoordinator(
  opts: { hub?: Partial<SessionHubOptions>; admin?: Partial<AdminServiceHandlers>; logger?: Logger; clusterInfo?: () => ClusterInfo } = {},
): Promise<TestCoordinator> {
  const hubOptions: SessionHubOptions = { publishedLbVersion: ANY_LB_VERSION, ...opts.hub };
  const dir = await mkdtemp(join(tmpdir(), 'kubeadm-ha-coordinator-'));
  const ca = await loadOrCreateCa(join(dir, 'pki'));
  const registry = new InMemoryAgentRegistry();
  const tokens = new StaticTokenVerifier({
    [TEST_TOKENS.any]: undefined,
    [TEST_TOKENS.worker]: 'worker',
    [TEST_TOKENS.controlPlane]: 'control-plane',
    [TEST_TOKENS.boundToW3]: { role: 'worker', nodeName: 'w3' },
  });
  let hub = new SessionHub(hubOptions);
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
      hub = new SessionHub(hubOptions);
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
