import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PreconditionError, SpecError } from '../../core/errors.js';
import { createCsr, loadOrCreateAgentKey } from '../../test/support/agent-side.js';
import { ADMIN_CONF_FILE, loadAdminCredentials } from './admin-conf.js';
import { writeAdminCredentials } from './admin-credentials.js';
import { CA_CERT_FILE, CA_KEY_FILE, certFingerprint, issueServerCert, issuedBy, loadOrCreateCa, signCsr, type CertificateAuthority } from './ca.js';

const mode = async (p: string) => (await stat(p)).mode & 0o777;

function opensslVerify(caPath: string, certPem: string, purpose: string): boolean {
  return spawnSync('openssl', ['verify', '-CAfile', caPath, '-purpose', purpose], { input: certPem }).status === 0;
}

describe('coordinator CA', () => {
  let dir: string;
  let ca: CertificateAuthority;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ca-test-'));
    ca = await loadOrCreateCa(join(dir, 'pki'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes ca.crt 0644 and ca.key 0600, a ten-year CA, and loads the same CA again', async () => {
    expect(await mode(join(dir, 'pki', CA_CERT_FILE))).toBe(0o644);
    expect(await mode(join(dir, 'pki', CA_KEY_FILE))).toBe(0o600);
    expect(await mode(join(dir, 'pki'))).toBe(0o700);
    const cert = new X509Certificate(await readFile(join(dir, 'pki', CA_CERT_FILE)));
    expect(cert.ca).toBe(true);
    const years = (Date.parse(cert.validTo) - Date.now()) / (365.25 * 86_400_000);
    expect(years).toBeGreaterThan(9.9);
    expect(years).toBeLessThan(10.1);
    const again = await loadOrCreateCa(join(dir, 'pki'));
    expect(again.pin).toBe(ca.pin);
    expect(again.certPem).toBe(ca.certPem);
  });

  it("pins exactly what kubeadm's formula gives: openssl x509 -pubkey | openssl pkey -pubin -outform der | sha256sum", () => {
    const spki = execFileSync('sh', ['-c', `openssl x509 -in '${join(dir, 'pki', CA_CERT_FILE)}' -pubkey -noout | openssl pkey -pubin -outform der`]);
    expect(ca.pin).toBe('sha256:' + createHash('sha256').update(spki).digest('hex'));
  });

  it('refuses half a CA instead of minting a new one that would orphan every agent', async () => {
    const half = join(dir, 'half');
    await loadOrCreateCa(half);
    await unlink(join(half, CA_KEY_FILE));
    await expect(loadOrCreateCa(half)).rejects.toThrow(PreconditionError);
    await expect(loadOrCreateCa(half)).rejects.toThrow(/without ca\.key/);
  });

  it('refuses a key that does not belong to the certificate', async () => {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    await loadOrCreateCa(a);
    await loadOrCreateCa(b);
    await writeFile(join(a, CA_KEY_FILE), await readFile(join(b, CA_KEY_FILE)));
    await expect(loadOrCreateCa(a)).rejects.toThrow(/does not belong/);
  });

  it('issues a serving certificate with the SANs, serverAuth only, chained to the CA', async () => {
    const server = await issueServerCert(ca, { dnsNames: ['coordinator.example'], ips: ['198.18.0.2', '127.0.0.1'] });
    const cert = new X509Certificate(server.certPem);
    expect(cert.subjectAltName).toBe('DNS:coordinator.example, IP Address:198.18.0.2, IP Address:127.0.0.1');
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(cert.ca).toBe(false);
    expect(server.chainPem).toBe(server.certPem + ca.certPem);
    expect(opensslVerify(join(dir, 'pki', CA_CERT_FILE), server.certPem, 'sslserver')).toBe(true);
    expect(opensslVerify(join(dir, 'pki', CA_CERT_FILE), server.certPem, 'sslclient')).toBe(false);
    await expect(issueServerCert(ca, { ips: ['not-an-ip'] })).rejects.toThrow(SpecError);
  });

  it('signs a CSR as a clientAuth certificate whose CN the coordinator chose, ignoring the CSR subject', async () => {
    const key = await loadOrCreateAgentKey(join(dir, 'agent'));
    const csr = await createCsr(key, 'kube-system-admin');
    const issued = await signCsr(ca, csr, { commonName: 'worker-1' });
    const cert = new X509Certificate(issued.certPem);
    expect(cert.subject).toBe('CN=worker-1\nO=kubeadm-ha:agents');
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(issued.fingerprint).toBe(certFingerprint(issued.certPem));
    expect(issuedBy(ca, issued.certPem)).toBe(true);
    expect(opensslVerify(join(dir, 'pki', CA_CERT_FILE), issued.certPem, 'sslclient')).toBe(true);
    expect(opensslVerify(join(dir, 'pki', CA_CERT_FILE), issued.certPem, 'sslserver')).toBe(false);
    // The certificate carries the CSR's key: the agent's key pair.
    expect(cert.publicKey.export({ type: 'spki', format: 'der' }).equals(createPublicKey(key.privateKeyPem).export({ type: 'spki', format: 'der' }))).toBe(
      true,
    );
  });

  it('rejects a CSR whose signature does not verify, and text that is not a CSR', async () => {
    const key = await loadOrCreateAgentKey(join(dir, 'agent'));
    const csr = await createCsr(key, 'worker-1');
    const der = Buffer.from(csr.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    der[der.length - 5] = der[der.length - 5]! ^ 0xff; // inside the signature
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    await expect(signCsr(ca, tampered, { commonName: 'worker-1' })).rejects.toThrow(/proof of possession|not a PEM-encoded/);
    await expect(signCsr(ca, 'hello', { commonName: 'worker-1' })).rejects.toThrow(SpecError);
  });

  it('does not call a certificate from another CA ours', async () => {
    const other = await loadOrCreateCa(join(dir, 'other'));
    const key = await loadOrCreateAgentKey(join(dir, 'agent'));
    const foreign = await signCsr(other, await createCsr(key, 'x'), { commonName: 'worker-1' });
    expect(issuedBy(ca, foreign.certPem)).toBe(false);
  });

  it('writes admin.conf 0600 once (CN=kubeadm-ha:admin, O=kubeadm-ha:admins) and rewrites it only when it must', async () => {
    const adminDir = join(dir, 'admin');
    const first = await writeAdminCredentials(ca, adminDir, { server: '127.0.0.1:9443' });
    expect(first).toEqual({ path: join(adminDir, ADMIN_CONF_FILE), written: true });
    expect(await mode(first.path)).toBe(0o600);
    const creds = await loadAdminCredentials(first.path);
    expect(creds.server).toBe('127.0.0.1:9443');
    expect(creds.caPem).toBe(ca.certPem);
    expect(new X509Certificate(creds.certPem).subject).toBe('CN=kubeadm-ha:admin\nO=kubeadm-ha:admins');
    expect(issuedBy(ca, creds.certPem)).toBe(true);
    expect(creds.keyPem).toMatch(/BEGIN PRIVATE KEY/);

    expect((await writeAdminCredentials(ca, adminDir, { server: '127.0.0.1:9443' })).written).toBe(false);
    expect((await loadAdminCredentials(first.path)).certPem).toBe(creds.certPem);
    // Eleven months later, less than 30 days remain: renew.
    expect((await writeAdminCredentials(ca, adminDir, { server: '127.0.0.1:9443', now: new Date(Date.now() + 340 * 86_400_000) })).written).toBe(true);
    expect((await writeAdminCredentials(ca, adminDir, { server: '198.18.0.2:9443' })).written).toBe(true);
    expect((await loadAdminCredentials(first.path)).server).toBe('198.18.0.2:9443');
  });
});
