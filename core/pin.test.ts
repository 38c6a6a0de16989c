import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpecError } from './errors.js';
import { caPinFromCertDer, caPinFromCertPem, derToPem, parsePin, pemBlocks, pemToDer, pinMatches, subjectPublicKeyInfoFromCertDer } from './pin.js';

/** kubeadm's documented formula for --discovery-token-ca-cert-hash. */
function opensslPin(certPath: string): string {
  const spki = execFileSync('sh', ['-c', `openssl x509 -in '${certPath}' -pubkey -noout | openssl pkey -pubin -outform der`]);
  return 'sha256:' + createHash('sha256').update(spki).digest('hex');
}

describe('CA pins', () => {
  let dir: string;
  const certs: Record<string, string> = {};

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pin-test-'));
    const kinds: Record<string, string[]> = {
      rsa: ['-newkey', 'rsa:2048'],
      ec: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
      ed25519: ['-newkey', 'ed25519'],
    };
    for (const [kind, keyArgs] of Object.entries(kinds)) {
      const crt = join(dir, `${kind}.crt`);
      // A long subject and SANs push lengths into DER's long form, which the walker must handle.
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          ...keyArgs,
          '-nodes',
          '-keyout',
          join(dir, `${kind}.key`),
          '-out',
          crt,
          '-days',
          '2',
          '-subj',
          `/CN=${'x'.repeat(60)}/OU=${'y'.repeat(60)}/O=kubeadm-ha`,
          '-addext',
          'subjectAltName=DNS:a.example,IP:198.18.0.1',
        ],
        { stdio: 'ignore' },
      );
      certs[kind] = crt;
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(['rsa', 'ec', 'ed25519'])('matches openssl x509 -pubkey | openssl pkey -pubin -outform der | sha256sum for a %s CA', (kind) => {
    const pem = readFileSync(certs[kind]!, 'utf8');
    expect(caPinFromCertPem(pem)).toBe(opensslPin(certs[kind]!));
  });

  it('cuts exactly the SubjectPublicKeyInfo that node re-encodes from the key', () => {
    const pem = readFileSync(certs['ec']!, 'utf8');
    const spki = subjectPublicKeyInfoFromCertDer(pemToDer(pem));
    expect(Buffer.from(spki).equals(new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' }))).toBe(true);
  });

  it('round-trips PEM and takes the first certificate of a chain', () => {
    const a = readFileSync(certs['rsa']!, 'utf8');
    const b = readFileSync(certs['ec']!, 'utf8');
    expect(pemBlocks(a + b).map((blk) => blk.label)).toEqual(['CERTIFICATE', 'CERTIFICATE']);
    expect(caPinFromCertPem(a + b)).toBe(caPinFromCertPem(a));
    const der = pemToDer(b);
    expect(caPinFromCertDer(pemToDer(derToPem(der)))).toBe(caPinFromCertPem(b));
  });

  it('pinMatches accepts the right pin in any case and rejects another CA', () => {
    const ec = readFileSync(certs['ec']!, 'utf8');
    const rsa = readFileSync(certs['rsa']!, 'utf8');
    const pin = caPinFromCertPem(ec);
    expect(pinMatches(pin, ec)).toBe(true);
    expect(pinMatches(pin.toUpperCase().replace('SHA256', 'sha256'), ec)).toBe(true);
    expect(pinMatches(pin, pemToDer(ec))).toBe(true);
    expect(pinMatches(pin, rsa)).toBe(false);
  });

  it('parsePin normalizes and rejects other shapes with a SpecError that says what a pin is', () => {
    const hex = 'ab'.repeat(32);
    expect(parsePin(` SHA256:${hex.toUpperCase()} `)).toEqual({ algorithm: 'sha256', hex });
    for (const bad of ['', hex, `sha1:${hex}`, `sha256:${hex.slice(2)}`, `sha256:${hex}00`, `sha256:${'zz'.repeat(32)}`]) {
      expect(() => parsePin(bad)).toThrow(SpecError);
    }
    expect(() => parsePin('nope')).toThrow(/SubjectPublicKeyInfo/);
  });

  it('refuses truncated or non-certificate DER instead of hashing garbage', () => {
    const der = pemToDer(readFileSync(certs['ec']!, 'utf8'));
    expect(() => caPinFromCertDer(der.subarray(0, 40))).toThrow(SpecError);
    expect(() => caPinFromCertDer(new Uint8Array([0x02, 0x01, 0x00]))).toThrow(SpecError);
    expect(() => pemToDer('no pem here')).toThrow(SpecError);
  });
});
