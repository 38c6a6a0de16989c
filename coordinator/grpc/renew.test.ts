import { webcrypto } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, PreconditionError, SpecError } from '../../core/errors.js';
import { silentLogger } from '../../lib/log.js';
import { createCsr, loadOrCreateAgentKey } from '../../test/support/agent-side.js';
import { testFacts } from '../../test/support/grpc-testing.js';
import { certFingerprint, loadOrCreateCa, signCsr, type CertificateAuthority } from '../pki/ca.js';
import { x509 } from '../pki/x509.js';
import { InMemoryAgentRegistry, type AgentRecord } from './registry.js';
import { createCertificateRenewer, RENEWALS_PER_WINDOW } from './renew.js';

describe('certificate renewal over a session', () => {
  let dir: string;
  let ca: CertificateAuthority;
  let csr: string;
  let n = 0;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubeadm-ha-renew-'));
    ca = await loadOrCreateCa(join(dir, 'pki'));
    // The CSR asks for another name: the certificate is for the session's name all the same.
    csr = await createCsr(await loadOrCreateAgentKey(join(dir, 'agent')), 'master-0');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** A registry holding `name` with a certificate of fingerprint `fp`. */
  async function registered(name: string): Promise<{ registry: InMemoryAgentRegistry; fingerprint: string }> {
    const issued = await signCsr(ca, csr, { commonName: name });
    const registry = new InMemoryAgentRegistry();
    const record: AgentRecord = {
      name,
      role: 'worker',
      certFingerprint: issued.fingerprint,
      certSerial: issued.serialNumber,
      certNotAfter: issued.notAfter.toISOString(),
      natsNkeyPublic: 'U' + 'A'.repeat(55),
      facts: testFacts(name) as unknown as AgentRecord['facts'],
      agentVersion: 'test',
      registeredAt: new Date().toISOString(),
      tokenId: 'abcdef',
    };
    await registry.put(record);
    return { registry, fingerprint: issued.fingerprint };
  }
  const renewer = (registry: InMemoryAgentRegistry, validityMs = 5_000) => createCertificateRenewer({ ca, registry, validityMs, logger: silentLogger });

  it('signs for the session name (not the CSR subject), with the configured lifetime, and records it; the old certificate is kept as previous', async () => {
    const name = `worker-${++n}`;
    const { registry, fingerprint } = await registered(name);
    const renewed = await renewer(registry).renew({ name, fingerprint }, csr);
    const cert = new x509.X509Certificate(renewed.certPem);
    expect(cert.subject).toContain(`CN=${name}`);
    expect(cert.notAfter.getTime() - Date.now()).toBeLessThanOrEqual(5_000);
    // notBefore is not backdated by minutes for a certificate of seconds.
    expect(Date.now() - cert.notBefore.getTime()).toBeLessThan(2_000);
    const record = await registry.get(name);
    expect(record).toMatchObject({
      certFingerprint: certFingerprint(renewed.certPem),
      previousCertFingerprint: fingerprint,
      certNotAfter: renewed.notAfter.toISOString(),
    });
    await registry.retirePreviousCertificate(name, certFingerprint(renewed.certPem));
    expect((await registry.get(name))?.previousCertFingerprint).toBe('');
  });

  it('refuses an unknown agent, a revoked one, and a certificate the registry no longer holds', async () => {
    const registry = new InMemoryAgentRegistry();
    await expect(renewer(registry).renew({ name: 'ghost', fingerprint: 'f'.repeat(64) }, csr)).rejects.toThrow(AuthError);
    const name = `worker-${++n}`;
    const { registry: reg2, fingerprint } = await registered(name);
    await expect(renewer(reg2).renew({ name, fingerprint: 'e'.repeat(64) }, csr)).rejects.toThrow(/not registered with the certificate of this session/);
    await reg2.revoke(name, 'forgotten by an operator');
    await expect(renewer(reg2).renew({ name, fingerprint }, csr)).rejects.toThrow(AuthError);
    expect(await reg2.get(name)).toBeUndefined();
  });

  it('refuses garbage, an oversized CSR, and an RSA key; the record is unchanged', async () => {
    const name = `worker-${++n}`;
    const { registry, fingerprint } = await registered(name);
    const r = createCertificateRenewer({ ca, registry, validityMs: 5_000, logger: silentLogger });
    await expect(r.renew({ name, fingerprint }, 'not a csr')).rejects.toThrow(/not a PEM-encoded PKCS#10/);
    await expect(r.renew({ name, fingerprint }, csr + ' '.repeat(5000))).rejects.toThrow(/larger than 4096 bytes/);
    const rsa = await webcrypto.subtle.generateKey(
      { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
      true,
      ['sign', 'verify'],
    );
    const rsaCsr = await x509.Pkcs10CertificateRequestGenerator.create({ name: `CN=${name}`, keys: rsa, signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5' } });
    await expect(
      createCertificateRenewer({ ca, registry, validityMs: 5_000, logger: silentLogger }).renew({ name, fingerprint }, rsaCsr.toString('pem')),
    ).rejects.toThrow(/RSASSA-PKCS1-v1_5.*is not accepted; agents use ECDSA P-256/);
    await expect(r.renew({ name, fingerprint }, 'x')).rejects.toThrow(SpecError);
    expect((await registry.get(name))?.certFingerprint).toBe(fingerprint);
  });

  it(`allows ${RENEWALS_PER_WINDOW} renewals per half lifetime per agent, then refuses`, async () => {
    const name = `worker-${++n}`;
    const { registry, fingerprint } = await registered(name);
    const r = renewer(registry, 60_000);
    let presented = fingerprint;
    for (let i = 0; i < RENEWALS_PER_WINDOW; i++) presented = certFingerprint((await r.renew({ name, fingerprint: presented }, csr)).certPem);
    await expect(r.renew({ name, fingerprint: presented }, csr)).rejects.toThrow(PreconditionError);
    await expect(r.renew({ name, fingerprint: presented }, csr)).rejects.toThrow(/renewed its certificate 3 times recently/);
  });
});
