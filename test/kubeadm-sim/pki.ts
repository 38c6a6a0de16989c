/**
 * The cluster PKI as kubeadm builds it: real X.509 CAs and leaf certificates (via @peculiar/x509 on
 * Node's WebCrypto), kubeadm's key file formats, the discovery CA pin, and the AES-GCM envelope of
 * the kubeadm-certs Secret.
 */
import 'reflect-metadata';
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  X509Certificate as NodeX509,
  webcrypto,
  randomBytes,
  randomInt,
  createCipheriv,
  createDecipheriv,
} from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { parseGoDuration } from './duration.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

type WebCryptoKeyPair = webcrypto.CryptoKeyPair;
type X509Crypto = Parameters<typeof x509.cryptoProvider.set>[0];
type X509Key = Parameters<typeof x509.X509CertificateGenerator.create>[0] extends infer P ? (P extends { signingKey: infer K } ? K : never) : never;
type X509KeyPair = Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'];

x509.cryptoProvider.set(webcrypto as unknown as X509Crypto);

import type { KeyAlgorithm } from './key-algorithms.js';

export { KEY_ALGORITHMS, type KeyAlgorithm } from './key-algorithms.js';

export interface CertAndKey {
  certPem: string;
  keyPem: string;
}

interface GeneratedKey {
  keys: WebCryptoKeyPair;
  keyPem: string;
  publicPem: string;
}

const YEAR_MS = 365 * 24 * 3_600_000;

function algorithmParams(alg: KeyAlgorithm): webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams {
  switch (alg) {
    case 'ECDSA-P256':
      return { name: 'ECDSA', namedCurve: 'P-256' };
    case 'ECDSA-P384':
      return { name: 'ECDSA', namedCurve: 'P-384' };
    default:
      return { name: 'RSASSA-PKCS1-v1_5', modulusLength: Number(alg.slice(4)), publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };
  }
}

function signingAlgorithm(keyPem: string): webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams {
  const k = createPrivateKey(keyPem);
  if (k.asymmetricKeyType === 'ec') {
    const curve = k.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 'P-384' : 'P-256';
    return { name: 'ECDSA', namedCurve: curve };
  }
  return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
}

/** kubeadm writes RSA keys as PKCS#1 and EC keys as SEC 1 PEM. */
async function generateKey(alg: KeyAlgorithm): Promise<GeneratedKey> {
  const keys = (await webcrypto.subtle.generateKey(algorithmParams(alg), true, ['sign', 'verify'])) as WebCryptoKeyPair;
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyObject = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  const keyPem = keyObject.export({ format: 'pem', type: alg.startsWith('RSA') ? 'pkcs1' : 'sec1' }).toString();
  const publicPem = createPublicKey(keyObject).export({ format: 'pem', type: 'spki' }).toString();
  return { keys, keyPem, publicPem };
}

const KEY_POOL_SIZE = 8;

/**
 * Leaf and client keys come from a small per-machine pool under the temp dir: RSA generation costs
 * hundreds of milliseconds here and a control-plane node needs a dozen leaf keys. CA and
 * service-account keys are never pooled, so every simulated cluster has its own CA pin.
 */
async function pooledKey(alg: KeyAlgorithm, notPublicPem?: string): Promise<GeneratedKey> {
  const dir = join(tmpdir(), 'kubeadm-sim-key-pool', alg);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const existing = readdirSync(dir).filter((f) => f.endsWith('.pem'));
  if (existing.length >= KEY_POOL_SIZE) {
    // Starting at a random entry, the first one that is not the key being replaced: kubeadm renews with a new key.
    const start = randomInt(existing.length);
    for (let i = 0; i < existing.length; i++) {
      const pick = existing[(start + i) % existing.length] as string;
      try {
        const k = await importKeyPair(readFileSync(join(dir, pick), 'utf8'), alg);
        if (k.publicPem !== notPublicPem) return k;
      } catch {
        // a torn or foreign file: try the next one
      }
    }
  }
  const k = await generateKey(alg);
  const tmp = join(dir, `.${process.pid}-${randomBytes(4).toString('hex')}`);
  writeFileSync(tmp, k.keyPem, { mode: 0o600 });
  renameSync(tmp, join(dir, `${randomBytes(6).toString('hex')}.pem`));
  return k;
}

async function importKeyPair(keyPem: string, alg: KeyAlgorithm): Promise<GeneratedKey> {
  const priv = createPrivateKey(keyPem);
  const params = alg.startsWith('RSA') ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } : (algorithmParams(alg) as webcrypto.EcKeyImportParams);
  const privateKey = await webcrypto.subtle.importKey('pkcs8', priv.export({ format: 'der', type: 'pkcs8' }), params, true, ['sign']);
  const publicDer = createPublicKey(priv).export({ format: 'der', type: 'spki' });
  const publicKey = await webcrypto.subtle.importKey('spki', publicDer, params, true, ['verify']);
  return { keys: { privateKey, publicKey }, keyPem, publicPem: createPublicKey(priv).export({ format: 'pem', type: 'spki' }).toString() };
}

async function importSigningKey(keyPem: string): Promise<{ key: X509Key; alg: webcrypto.Algorithm | webcrypto.EcdsaParams }> {
  const der = createPrivateKey(keyPem).export({ format: 'der', type: 'pkcs8' });
  const params = signingAlgorithm(keyPem);
  const key = await webcrypto.subtle.importKey('pkcs8', der, params, false, ['sign']);
  const alg: webcrypto.Algorithm | webcrypto.EcdsaParams =
    params.name === 'ECDSA'
      ? { name: 'ECDSA', hash: (params as webcrypto.EcKeyImportParams).namedCurve === 'P-384' ? 'SHA-384' : 'SHA-256' }
      : ({ name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as webcrypto.Algorithm);
  return { key: key as unknown as X509Key, alg };
}

function serial(): string {
  const b = randomBytes(8);
  b[0] = (b[0] ?? 0) & 0x7f;
  return b.toString('hex');
}

/** A self-signed CA like kubeadm's (10 years, CA:true, certSign). */
export async function createCA(commonName: string, alg: KeyAlgorithm, nowMs: number): Promise<CertAndKey> {
  const k = await generateKey(alg);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${commonName}`,
    notBefore: new Date(nowMs - 60_000),
    notAfter: new Date(nowMs + 10 * YEAR_MS),
    keys: k.keys as unknown as X509KeyPair,
    signingAlgorithm: (await importSigningKey(k.keyPem)).alg,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment | x509.KeyUsageFlags.keyCertSign, true),
      await x509.SubjectKeyIdentifierExtension.create(k.keys.publicKey as unknown as X509KeyPair['publicKey']),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: k.keyPem };
}

export interface LeafRequest {
  commonName: string;
  organizations?: string[];
  dnsNames?: string[];
  ips?: string[];
  usages: ('server' | 'client')[];
}

/**
 * How long a leaf certificate lives: kubeadm's year, or `KUBEADM_SIM_CERT_VALIDITY` (a Go duration such as `20m`),
 * so that tests can watch expiry come near and renewal happen. The CAs keep their ten years.
 */
export function leafValidityMs(): number {
  const text = process.env.KUBEADM_SIM_CERT_VALIDITY;
  if (!text) return YEAR_MS;
  const ms = parseGoDuration(text);
  if (ms === null || ms <= 0) throw new Error(`KUBEADM_SIM_CERT_VALIDITY=${JSON.stringify(text)} is not a positive Go duration`);
  return ms;
}

/**
 * A leaf certificate signed by `ca` (leafValidityMs, a year by default), with kubeadm's key usages and SANs.
 * `replacing` is the certificate a renewal replaces: its key is never the new one's.
 */
export async function signLeaf(ca: CertAndKey, req: LeafRequest, alg: KeyAlgorithm, nowMs: number, replacing?: string): Promise<CertAndKey> {
  const replacedKey = replacing ? createPublicKey(replacing).export({ format: 'pem', type: 'spki' }).toString() : undefined;
  const k = await pooledKey(alg, replacedKey);
  const caCert = new x509.X509Certificate(ca.certPem);
  const signer = await importSigningKey(ca.keyPem);
  const subject = [...(req.organizations ?? []).map((o) => `O=${o}`), `CN=${req.commonName}`].join(', ');
  const ekus: string[] = [];
  if (req.usages.includes('server')) ekus.push(x509.ExtendedKeyUsage.serverAuth);
  if (req.usages.includes('client')) ekus.push(x509.ExtendedKeyUsage.clientAuth);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension(ekus, false),
    await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey),
  ];
  const names = [
    ...(req.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(req.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names, false));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject,
    issuer: caCert.subject,
    notBefore: new Date(nowMs - 60_000),
    notAfter: new Date(nowMs + leafValidityMs()),
    publicKey: k.keys.publicKey as unknown as X509KeyPair['publicKey'],
    signingKey: signer.key,
    signingAlgorithm: signer.alg,
    extensions,
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: k.keyPem };
}

/** The service-account signing key pair (sa.key / sa.pub). */
export async function createServiceAccountKey(alg: KeyAlgorithm): Promise<{ keyPem: string; publicPem: string }> {
  const k = await generateKey(alg);
  return { keyPem: k.keyPem, publicPem: k.publicPem };
}

/** pubkeypin.Hash: sha256 over the DER SubjectPublicKeyInfo of the CA certificate. */
export function caCertHash(certPem: string): string {
  const spki = new NodeX509(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return 'sha256:' + createHash('sha256').update(spki).digest('hex');
}

/** True when `certPem` was issued by `caPem` (signature checked). */
export function issuedBy(certPem: string, caPem: string): boolean {
  const cert = new NodeX509(certPem);
  const ca = new NodeX509(caPem);
  return cert.checkIssued(ca) && cert.verify(ca.publicKey);
}

/** cryptoutil.EncryptBytes: AES-256-GCM, nonce prepended, tag appended. */
export function encryptBytes(data: Buffer, keyHex: string): Buffer {
  const key = Buffer.from(keyHex, 'hex');
  const nonce = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, nonce);
  return Buffer.concat([nonce, c.update(data), c.final(), c.getAuthTag()]);
}

/** cryptoutil.DecryptBytes; throws Go's message on a wrong key. */
export function decryptBytes(data: Buffer, keyHex: string): Buffer {
  const key = Buffer.from(keyHex, 'hex');
  if (data.length < 12 + 16) throw new Error('size of data is less than the nonce');
  const nonce = data.subarray(0, 12);
  const tag = data.subarray(data.length - 16);
  const body = data.subarray(12, data.length - 16);
  try {
    const d = createDecipheriv('aes-256-gcm', key, nonce);
    d.setAuthTag(tag);
    return Buffer.concat([d.update(body), d.final()]);
  } catch {
    throw new Error('cipher: message authentication failed');
  }
}

/** The SANs of a certificate as kubeadm prints them. */
export function certSANs(certPem: string): { dns: string[]; ips: string[] } {
  const alt = new NodeX509(certPem).subjectAltName ?? '';
  const dns: string[] = [];
  const ips: string[] = [];
  for (const part of alt.split(', ')) {
    if (part.startsWith('DNS:')) dns.push(part.slice(4));
    else if (part.startsWith('IP Address:')) ips.push(part.slice(11));
  }
  return { dns, ips };
}
