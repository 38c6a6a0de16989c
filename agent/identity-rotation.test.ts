import { readFile, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError } from '../core/errors.js';
import { createAgentKey, keyMatchesCert, saveRenewedCertificate } from './identity.js';
import { expiredCertificateAdvice } from './session-client.js';

/** A self-signed certificate for `keyPem`'s key: enough to check that key and certificate are stored as a pair. */
async function certFor(keyPem: string): Promise<string> {
  await import('reflect-metadata');
  const { X509CertificateGenerator, cryptoProvider } = await import('@peculiar/x509');
  const { webcrypto, createPrivateKey, createPublicKey } = await import('node:crypto');
  cryptoProvider.set(webcrypto);
  const alg = { name: 'ECDSA', namedCurve: 'P-256' };
  const privateKey = await webcrypto.subtle.importKey('pkcs8', createPrivateKey(keyPem).export({ type: 'pkcs8', format: 'der' }), alg, false, ['sign']);
  const publicKey = await webcrypto.subtle.importKey('spki', createPublicKey(keyPem).export({ type: 'spki', format: 'der' }), alg, true, ['verify']);
  const cert = await X509CertificateGenerator.createSelfSigned({
    name: 'CN=worker-0',
    keys: { privateKey, publicKey },
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    notBefore: new Date(Date.now() - 1000),
    notAfter: new Date(Date.now() + 60_000),
  });
  return cert.toString('pem') + '\n';
}

describe('agent identity rotation', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubeadm-ha-rotation-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('stores a renewed key and certificate together, 0600, and refuses a certificate for another key', async () => {
    const key = await createAgentKey();
    const cert = await certFor(key.privateKeyPem);
    await saveRenewedCertificate(dir, key.privateKeyPem, cert);
    expect(await readFile(join(dir, 'agent.key'), 'utf8')).toBe(key.privateKeyPem);
    expect(await readFile(join(dir, 'agent.crt'), 'utf8')).toBe(cert);
    expect((await stat(join(dir, 'agent.key'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'agent.crt'))).mode & 0o777).toBe(0o600);

    const other = await createAgentKey();
    await expect(saveRenewedCertificate(dir, other.privateKeyPem, cert)).rejects.toThrow(AuthError);
    // The stored pair is untouched.
    expect(keyMatchesCert(await readFile(join(dir, 'agent.key'), 'utf8'), await readFile(join(dir, 'agent.crt'), 'utf8'))).toBe(true);
    // Nothing secret in the message.
    await expect(saveRenewedCertificate(dir, other.privateKeyPem, cert)).rejects.not.toThrow(/PRIVATE KEY/);
  });

  it('tells the operator of an expired certificate exactly what to run, with the role of a control-plane node', () => {
    const notAfter = new Date('2026-01-01T00:00:00Z');
    expect(expiredCertificateAdvice({ agentName: 'worker-3', role: 'worker', notAfter })).toBe(
      'the client certificate of worker-3 expired at 2026-01-01T00:00:00.000Z and cannot be renewed over a session: run `coordinatorctl token create --node-name worker-3`, install its output as /etc/kubeadm-ha/agent.yaml, then restart kubeadm-ha-agent',
    );
    expect(expiredCertificateAdvice({ agentName: 'master-1', role: 'control-plane', notAfter })).toMatch(
      /`coordinatorctl token create --node-name master-1 --role control-plane`/,
    );
  });
});
