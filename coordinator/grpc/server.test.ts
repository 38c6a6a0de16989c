import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AgentConfig } from '../../core/agent-config.js';
import { AuthError, PreconditionError, SpecError } from '../../core/errors.js';
import type { RegisterRequest } from '../../proto/index.js';
import { createCsr, loadOrCreateAgentKey, registerAgent } from '../../test/support/agent-side.js';
import { adminClient, agentClient, startTestCoordinator, testFacts, TEST_TOKENS, type TestCoordinator } from '../../test/support/grpc-testing.js';
import { issuedBy, loadOrCreateCa, signCsr } from '../pki/ca.js';
import { createAdminClient } from './clients.js';

function statusOf(fn: (cb: (err: grpc.ServiceError | null) => void) => void): Promise<grpc.status> {
  return new Promise((resolve) => fn((err) => resolve(err ? err.code : grpc.status.OK)));
}

/** Opens a Session with the given credentials and resolves with the status it ends with. */
function sessionStatus(coordinator: TestCoordinator, creds: { caPem: string; keyPem?: string; certPem?: string }, hello?: string): Promise<grpc.StatusObject> {
  const client = agentClient(coordinator.address, creds);
  const call = client.session();
  return new Promise((resolve) => {
    call.on('data', () => call.end());
    call.on('error', () => {});
    call.on('status', (s: grpc.StatusObject) => {
      client.close();
      resolve(s);
    });
    call.write({ hello: { agentName: hello ?? 'nobody', agentVersion: 'test' } });
  });
}

describe('coordinator gRPC server', () => {
  let coordinator: TestCoordinator;
  let stateRoot: string;
  let n = 0;
  const config = (over: Partial<AgentConfig> = {}): AgentConfig => ({
    coordinator: coordinator.address,
    token: TEST_TOKENS.any,
    caCertHash: coordinator.ca.pin,
    stateDir: join(stateRoot, `agent-${++n}`),
    ...over,
  });

  beforeAll(async () => {
    stateRoot = await mkdtemp(join(tmpdir(), 'grpc-server-test-'));
  });
  afterAll(() => rm(stateRoot, { recursive: true, force: true }));
  beforeEach(async () => {
    coordinator = await startTestCoordinator();
  });
  afterEach(async () => {
    await coordinator.close();
  });

  it('Register with a valid token yields a client certificate chained to the CA and records the agent', async () => {
    const reg = await registerAgent(config({ nodeName: 'master-0', role: 'control-plane' }), { agentVersion: '0.1.0', facts: testFacts('Master0') });
    expect(reg.agentName).toBe('master-0');
    expect(reg.role).toBe('control-plane');
    expect(reg.clusterName).toBe('test');
    expect(reg.natsUrl).toBe('tls://127.0.0.1:4222');
    expect(reg.caPem).toBe(coordinator.ca.certPem);
    expect(issuedBy(coordinator.ca, reg.certPem)).toBe(true);
    expect(new X509Certificate(reg.certPem).subject).toBe('CN=master-0\nO=kubeadm-ha:agents');
    const record = await coordinator.registry.get('master-0');
    expect(record?.role).toBe('control-plane');
    expect(record?.tokenId).toBe('abcdef');
    expect(record?.natsNkeyPublic).toMatch(/^U[A-Z2-7]{55}$/);
    expect(record?.facts.hostname).toBe('Master0');
    expect(record?.facts.cri?.socket).toBe('unix:///run/containerd/containerd.sock');
  });

  it('defaults the name to the lowercased hostname, as kubeadm does, and rejects hostnames that are not DNS-1123 labels', async () => {
    expect((await registerAgent(config(), { agentVersion: '0.1.0', facts: testFacts('Worker7') })).agentName).toBe('worker7');
    const err = await registerAgent(config(), { agentVersion: '0.1.0', facts: testFacts('HCITos_cvm') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpecError);
    expect((err as SpecError).issues[0]?.path).toBe('facts.hostname');
    expect((err as Error).message).toMatch(/not a DNS-1123 label.*nodeName/);
    expect((await coordinator.registry.list()).map((a) => a.name)).toEqual(['worker7']);
  });

  it('a wrong bootstrap token is UNAUTHENTICATED and registers nothing, and the token never appears in the error', async () => {
    const badToken = 'zzzzzz.0123456789abcdef';
    const err = await registerAgent(config({ token: badToken }), { agentVersion: '0.1.0', facts: testFacts('w1') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as Error).message).toMatch(/bootstrap token rejected/);
    expect((err as Error).message).not.toContain('0123456789abcdef');
    expect(coordinator.tokens.calls).toBe(1);
    expect(await coordinator.registry.list()).toEqual([]);

    // The raw status code, from a client that speaks the contract directly.
    const key = await loadOrCreateAgentKey(join(stateRoot, 'raw'));
    const req: RegisterRequest = { bootstrapToken: badToken, csrPem: await createCsr(key, 'w1'), natsNkeyPublic: 'UBADKEY', requestedName: 'w1' };
    const client = agentClient(coordinator.address, { caPem: coordinator.ca.certPem });
    expect(await statusOf((cb) => client.register(req, cb))).toBe(grpc.status.UNAUTHENTICATED);
    client.close();
    expect(await coordinator.registry.list()).toEqual([]);
  });

  it('a worker-only token cannot register a control-plane node (PERMISSION_DENIED, nothing registered)', async () => {
    const err = await registerAgent(config({ token: TEST_TOKENS.worker, role: 'control-plane', nodeName: 'm1' }), {
      agentVersion: '0.1.0',
      facts: testFacts('m1'),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as Error).message).toMatch(/admits worker nodes only/);
    expect(await coordinator.registry.list()).toEqual([]);
    const ok = await registerAgent(config({ token: TEST_TOKENS.worker, nodeName: 'w2' }), { agentVersion: '0.1.0', facts: testFacts('w2') });
    expect(ok.role).toBe('worker');
  });

  it('a wrong CA pin makes the agent refuse before sending anything: no token check, nothing registered', async () => {
    const other = await loadOrCreateCa(join(stateRoot, 'other-ca'));
    const err = await registerAgent(config({ caCertHash: other.pin }), { agentVersion: '0.1.0', facts: testFacts('w1') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as Error).message).toContain(`caCertHash is ${other.pin}`);
    expect((err as Error).message).toContain(`its CA is ${coordinator.ca.pin}`);
    expect(coordinator.tokens.calls).toBe(0);
    expect(await coordinator.registry.list()).toEqual([]);
  });

  it('a Session with a certificate from another CA is UNAUTHENTICATED', async () => {
    const other = await loadOrCreateCa(join(stateRoot, 'foreign-ca'));
    const key = await loadOrCreateAgentKey(join(stateRoot, 'foreign-agent'));
    const foreign = await signCsr(other, await createCsr(key, 'worker-1'), { commonName: 'worker-1' });
    const status = await sessionStatus(coordinator, { caPem: coordinator.ca.certPem, keyPem: key.privateKeyPem, certPem: foreign.certPem }, 'worker-1');
    expect(status.code).toBe(grpc.status.UNAUTHENTICATED);
    // And without any certificate at all.
    expect((await sessionStatus(coordinator, { caPem: coordinator.ca.certPem })).code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it('a registered name is refused to any token not bound to it; a bound token replaces it, and the old certificate no longer opens a Session', async () => {
    const cfg = config({ nodeName: 'w3' });
    const first = await registerAgent(cfg, { agentVersion: '0.1.0', facts: testFacts('w3') });
    await expect(registerAgent(config({ nodeName: 'w3' }), { agentVersion: '0.1.0', facts: testFacts('w3') })).rejects.toThrow(/already registered/);
    expect((await coordinator.registry.get('w3'))?.certFingerprint).toBeDefined();
    await registerAgent(config({ nodeName: 'w3', token: TEST_TOKENS.boundToW3 }), { agentVersion: '0.1.0', facts: testFacts('w3') });
    const status = await sessionStatus(coordinator, { caPem: first.caPem, keyPem: first.keyPem, certPem: first.certPem }, 'w3');
    expect(status.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(status.details).toMatch(/replaced by a newer registration/);
  });

  it('a revoked name is refused to a token older than the revocation; a hint can lower the token role, never raise it', async () => {
    const reg = await registerAgent(config({ nodeName: 'w8' }), { agentVersion: '0.1.0', facts: testFacts('w8') });
    expect(reg.role).toBe('control-plane');
    await coordinator.registry.revoke('w8', 'remove-node');
    await expect(registerAgent(config({ nodeName: 'w8' }), { agentVersion: '0.1.0', facts: testFacts('w8') })).rejects.toThrow(
      /w8 was revoked \(remove-node\)/,
    );
    expect(await coordinator.registry.get('w8')).toBeUndefined();
    const lowered = await registerAgent(config({ nodeName: 'w9', role: 'worker' }), { agentVersion: '0.1.0', facts: testFacts('w9') });
    expect(lowered.role).toBe('worker');
    await expect(
      registerAgent(config({ nodeName: 'w10', role: 'control-plane', token: TEST_TOKENS.worker }), { agentVersion: '0.1.0', facts: testFacts('w10') }),
    ).rejects.toThrow(/admits worker nodes only/);
  });

  it('an agent certificate on AdminService is PERMISSION_DENIED; no certificate is UNAUTHENTICATED; the admin certificate gets through', async () => {
    const reg = await registerAgent(config({ nodeName: 'w4' }), { agentVersion: '0.1.0', facts: testFacts('w4') });
    const asAgent = adminClient(coordinator.address, { caPem: reg.caPem, keyPem: reg.keyPem, certPem: reg.certPem });
    expect(await statusOf((cb) => asAgent.status({}, cb))).toBe(grpc.status.PERMISSION_DENIED);
    // UploadTrust hands out the key that opens the sealed CA: an agent may not ask for it.
    expect(await statusOf((cb) => asAgent.uploadTrust({}, cb))).toBe(grpc.status.PERMISSION_DENIED);
    asAgent.close();

    const anonymous = adminClient(coordinator.address, { caPem: coordinator.ca.certPem });
    expect(await statusOf((cb) => anonymous.nodes({}, cb))).toBe(grpc.status.UNAUTHENTICATED);
    expect(await statusOf((cb) => anonymous.uploadTrust({}, cb))).toBe(grpc.status.UNAUTHENTICATED);
    expect(await statusOf((cb) => anonymous.leader({}, cb))).toBe(grpc.status.UNAUTHENTICATED);
    anonymous.close();

    const admin = createAdminClient(coordinator.admin);
    // Not implemented in this test server: UNIMPLEMENTED proves authentication passed.
    expect(await statusOf((cb) => admin.status({}, cb))).toBe(grpc.status.UNIMPLEMENTED);
    const stream = admin.reset({});
    const streamStatus = await new Promise<grpc.status>((resolve) => {
      stream.on('data', () => {});
      stream.on('error', (e: grpc.ServiceError) => resolve(e.code));
    });
    expect(streamStatus).toBe(grpc.status.UNIMPLEMENTED);
    admin.close();

    // The admin certificate is not an agent.
    expect((await sessionStatus(coordinator, coordinator.admin, 'kubeadm-ha:admin')).code).toBe(grpc.status.PERMISSION_DENIED);
  });

  it('a Hello naming another agent than the certificate is PERMISSION_DENIED', async () => {
    const reg = await registerAgent(config({ nodeName: 'w5' }), { agentVersion: '0.1.0', facts: testFacts('w5') });
    const status = await sessionStatus(coordinator, reg, 'master-0');
    expect(status.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(coordinator.hub.isConnected('w5')).toBe(false);
  });

  it('refuses to register a name whose agent is connected right now (FAILED_PRECONDITION)', async () => {
    const cfg = config({ nodeName: 'w6' });
    const reg = await registerAgent(cfg, { agentVersion: '0.1.0', facts: testFacts('w6') });
    const client = agentClient(coordinator.address, reg);
    const call = client.session();
    call.on('error', () => {});
    const acked = new Promise((resolve) => call.once('data', resolve));
    call.write({ hello: { agentName: 'w6', agentVersion: 'test' } });
    await acked;
    const err = await registerAgent({ ...cfg, stateDir: join(stateRoot, 'intruder') }, { agentVersion: '0.1.0', facts: testFacts('w6') }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PreconditionError);
    expect((err as Error).message).toMatch(/is connected right now/);
    expect((await coordinator.registry.get('w6'))?.certFingerprint).toBeDefined();
    call.cancel();
    client.close();
  });

  it('the custom admin handlers run behind the admin check, and our errors arrive as the same class', async () => {
    await coordinator.close();
    coordinator = await startTestCoordinator({
      admin: {
        Status: (_call, callback) => callback(null, { clusterName: 'prod', agentsRegistered: 3 }),
        Nodes: () => {
          throw new PreconditionError('no spec deployed yet', { phase: 'status' });
        },
      },
    });
    const admin = adminClient(coordinator.address, coordinator.admin);
    const status = await new Promise<unknown>((resolve, reject) => admin.status({}, (err, res) => (err ? reject(err) : resolve(res))));
    expect(status).toMatchObject({ clusterName: 'prod', agentsRegistered: 3 });
    const err = await new Promise<grpc.ServiceError>((resolve) => admin.nodes({}, (e) => resolve(e!)));
    expect(err.code).toBe(grpc.status.FAILED_PRECONDITION);
    const { fromServiceError } = await import('../../lib/grpc/status.js');
    const mapped = fromServiceError(err);
    expect(mapped).toBeInstanceOf(PreconditionError);
    expect(mapped.phase).toBe('status');
    expect(mapped.message).toBe('status: no spec deployed yet');
    admin.close();
  });
});
