/**
 * The coordinator's own certificate authority: ECDSA P-256, ten years, kept under the data directory (ca.crt 0644,
 * ca.key 0600). It signs the coordinator's serving certificate, the agents' client certificates (CN = agent name, set
 * here and never taken from the CSR) and the admin certificate coordinatorctl uses. Agents pin it by the sha256 of its
 * SubjectPublicKeyInfo, the way kubeadm discovery pins the cluster CA.
 */
import { createHash, createPrivateKey, createPublicKey, X509Certificate as NodeX509Certificate } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { PreconditionError, SpecError } from '../../core/errors.js';
import { caPinFromCertPem, pemToDer, subjectPublicKeyInfoFromCertDer } from '../../core/pin.js';
import { writeFileAtomic, readFileIfExists } from '../../lib/fs.js';
import { EC_SIGNING_ALGORITHM, generateEcKeyPair, privateKeyFromPem, privateKeyToPem, x509, type CryptoKey } from './x509.js';

export const CA_CERT_FILE = 'ca.crt';
export const CA_KEY_FILE = 'ca.key';
export const CA_VALIDITY_DAYS = 3650;
export const LEAF_VALIDITY_DAYS = 365;
/** Tolerates clocks a little behind ours, as kubeadm's certificate backdating does. */
const BACKDATE_MS = 5 * 60_000;
const DAY_MS = 86_400_000;

export const AGENTS_ORGANIZATION = 'kubeadm-ha:agents';
export const ADMINS_ORGANIZATION = 'kubeadm-ha:admins';
export const ADMIN_COMMON_NAME = 'kubeadm-ha:admin';

export interface CertificateAuthority {
  readonly certPem: string;
  readonly cert: x509.X509Certificate;
  readonly privateKey: CryptoKey;
  /** sha256:<hex> of the CA's SubjectPublicKeyInfo. */
  readonly pin: string;
}

export interface IssuedCertificate {
  readonly certPem: string;
  /** The certificate followed by the CA certificate, as a TLS server must present it. */
  readonly chainPem: string;
  /** sha256 of the certificate's DER, lowercase hex: how the registry recognizes a revoked certificate. */
  readonly fingerprint: string;
  readonly serialNumber: string;
  readonly notAfter: Date;
}

export interface IssuedKeyPair extends IssuedCertificate {
  readonly keyPem: string;
}

export function certFingerprint(certPem: string): string {
  return createHash('sha256').update(pemToDer(certPem)).digest('hex');
}

function name(commonName: string, organization?: string): x509.JsonName {
  return organization ? [{ CN: [commonName] }, { O: [organization] }] : [{ CN: [commonName] }];
}

/**
 * Backdated by at most a tenth of the lifetime: a certificate of a few seconds (tests) must not start minutes earlier,
 * or two thirds of its lifetime (when agents renew) would already be behind it when it is issued.
 */
function validity(now: Date, validityMs: number): { notBefore: Date; notAfter: Date } {
  const backdate = Math.min(BACKDATE_MS, Math.floor(validityMs / 10));
  return { notBefore: new Date(now.getTime() - backdate), notAfter: new Date(now.getTime() + validityMs) };
}

/** The largest CSR signCsr reads: a P-256 or P-384 request is well under 1 KiB of PEM. */
export const MAX_CSR_PEM_BYTES = 4096;

function assertKeyMatchesCert(keyPem: string, certPem: string, where: string): void {
  const fromKey = createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' });
  const fromCert = subjectPublicKeyInfoFromCertDer(pemToDer(certPem));
  if (!Buffer.from(fromCert).equals(fromKey))
    throw new PreconditionError(`${where}: ${CA_KEY_FILE} does not belong to ${CA_CERT_FILE}; restore the pair from backup`);
}

async function fromPem(certPem: string, keyPem: string): Promise<CertificateAuthority> {
  return { certPem, cert: new x509.X509Certificate(certPem), privateKey: await privateKeyFromPem(keyPem), pin: caPinFromCertPem(certPem) };
}

/**
 * Loads the CA from `dir`, or creates it when neither file exists. Half a CA (one file without the other) is an error,
 * never a reason to mint a new one: that would silently orphan every registered agent and every printed pin.
 */
export async function loadOrCreateCa(dir: string, opts: { commonName?: string; now?: Date } = {}): Promise<CertificateAuthority> {
  const certPath = join(dir, CA_CERT_FILE);
  const keyPath = join(dir, CA_KEY_FILE);
  const [certPem, keyPem] = await Promise.all([readFileIfExists(certPath), readFileIfExists(keyPath)]);
  const now = opts.now ?? new Date();
  if (certPem !== undefined && keyPem !== undefined) {
    assertKeyMatchesCert(keyPem, certPem, dir);
    const ca = await fromPem(certPem, keyPem);
    if (ca.cert.notAfter.getTime() <= now.getTime())
      throw new PreconditionError(`${certPath}: the coordinator CA expired on ${ca.cert.notAfter.toISOString()}`);
    return ca;
  }
  if (certPem !== undefined || keyPem !== undefined) {
    throw new PreconditionError(
      `${dir}: found ${certPem !== undefined ? CA_CERT_FILE : CA_KEY_FILE} without ${certPem !== undefined ? CA_KEY_FILE : CA_CERT_FILE}; restore the missing file instead of creating a new CA, which would orphan every agent`,
    );
  }

  await mkdir(dir, { recursive: true, mode: 0o700 });
  const keys = await generateEcKeyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: name(opts.commonName ?? 'kubeadm-ha-ca', 'kubeadm-ha'),
    keys,
    signingAlgorithm: EC_SIGNING_ALGORITHM,
    ...validity(now, CA_VALIDITY_DAYS * DAY_MS),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const newCertPem = cert.toString('pem') + '\n';
  const newKeyPem = await privateKeyToPem(keys.privateKey);
  // Key first: a crash in between leaves "key without cert", which the check above refuses loudly.
  await writeFileAtomic(keyPath, newKeyPem, 0o600);
  await writeFileAtomic(certPath, newCertPem, 0o644);
  return fromPem(newCertPem, newKeyPem);
}

interface LeafParams {
  readonly subject: x509.JsonName;
  readonly publicKey: x509.PublicKey | CryptoKey;
  readonly validityMs: number;
  readonly now: Date;
  readonly extensions: x509.Extension[];
}

async function issue(ca: CertificateAuthority, p: LeafParams): Promise<IssuedCertificate> {
  const publicKey = p.publicKey instanceof x509.PublicKey ? await p.publicKey.export() : p.publicKey;
  const cert = await x509.X509CertificateGenerator.create({
    subject: p.subject,
    issuer: ca.cert.subjectName,
    publicKey,
    signingKey: ca.privateKey,
    signingAlgorithm: EC_SIGNING_ALGORITHM,
    ...validity(p.now, p.validityMs),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      await x509.AuthorityKeyIdentifierExtension.create(await ca.cert.publicKey.export()),
      await x509.SubjectKeyIdentifierExtension.create(publicKey),
      ...p.extensions,
    ],
  });
  const certPem = cert.toString('pem') + '\n';
  return { certPem, chainPem: certPem + ca.certPem, fingerprint: certFingerprint(certPem), serialNumber: cert.serialNumber, notAfter: cert.notAfter };
}

async function issueWithNewKey(ca: CertificateAuthority, p: Omit<LeafParams, 'publicKey'>): Promise<IssuedKeyPair> {
  const keys = await generateEcKeyPair();
  const issued = await issue(ca, { ...p, publicKey: keys.publicKey });
  return { ...issued, keyPem: await privateKeyToPem(keys.privateKey) };
}

/** The coordinator's serving certificate; agents check the address they dial against these SANs. */
export async function issueServerCert(
  ca: CertificateAuthority,
  sans: { dnsNames?: readonly string[]; ips?: readonly string[]; days?: number; now?: Date },
): Promise<IssuedKeyPair> {
  const dnsNames = [...new Set(sans.dnsNames ?? [])];
  const ips = [...new Set(sans.ips ?? [])];
  const badIp = ips.find((ip) => isIP(ip) === 0);
  if (badIp !== undefined) throw new SpecError('server certificate', [{ path: 'ips', message: `"${badIp}" is not an IP address` }]);
  if (dnsNames.length + ips.length === 0) throw new SpecError('server certificate', [{ path: 'sans', message: 'needs at least one DNS name or IP address' }]);
  return issueWithNewKey(ca, {
    subject: name(dnsNames[0] ?? ips[0]!, 'kubeadm-ha'),
    validityMs: (sans.days ?? LEAF_VALIDITY_DAYS) * DAY_MS,
    now: sans.now ?? new Date(),
    extensions: [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...dnsNames.map((value) => ({ type: 'dns' as const, value })),
        ...ips.map((value) => ({ type: 'ip' as const, value })),
      ]),
    ],
  });
}

function clientExtensions(): x509.Extension[] {
  return [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true), new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])];
}

function csrProblem(message: string): SpecError {
  return new SpecError('certificate signing request', [{ path: 'csrPem', message }]);
}

/**
 * Signs an agent's CSR as a client certificate. The CSR proves possession of the key (its self-signature is checked);
 * everything else in it (subject, requested extensions) is ignored: the coordinator decides who the agent is. Valid
 * for `validityMs` (seconds in tests), else `days`, else LEAF_VALIDITY_DAYS.
 */
export async function signCsr(
  ca: CertificateAuthority,
  csrPem: string,
  opts: { commonName: string; organization?: string; days?: number; validityMs?: number; now?: Date },
): Promise<IssuedCertificate> {
  // Bounded before it is parsed: over a session it comes from an agent that is authenticated but not trusted.
  if (Buffer.byteLength(csrPem, 'utf8') > MAX_CSR_PEM_BYTES) throw csrProblem(`is larger than ${MAX_CSR_PEM_BYTES} bytes`);
  const validityMs = opts.validityMs ?? (opts.days ?? LEAF_VALIDITY_DAYS) * DAY_MS;
  if (!Number.isFinite(validityMs) || validityMs < 1000) throw new SpecError('certificate validity', [{ path: 'validity', message: 'must be at least 1s' }]);
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch {
    throw csrProblem('is not a PEM-encoded PKCS#10 certificate request');
  }
  const algorithm = csr.publicKey.algorithm as { name?: string; namedCurve?: string };
  if (algorithm.name !== 'ECDSA' || (algorithm.namedCurve !== 'P-256' && algorithm.namedCurve !== 'P-384')) {
    throw csrProblem(`key algorithm ${algorithm.name ?? 'unknown'} ${algorithm.namedCurve ?? ''} is not accepted; agents use ECDSA P-256`.replace(/\s+;/, ';'));
  }
  let valid = false;
  try {
    valid = await csr.verify();
  } catch {
    valid = false;
  }
  if (!valid) throw csrProblem('its signature does not verify with its own public key (no proof of possession)');
  return issue(ca, {
    subject: name(opts.commonName, opts.organization ?? AGENTS_ORGANIZATION),
    publicKey: csr.publicKey,
    validityMs,
    now: opts.now ?? new Date(),
    extensions: clientExtensions(),
  });
}

/** A client certificate with a fresh key, for identities the coordinator creates itself (the admin). */
export async function issueClientCert(
  ca: CertificateAuthority,
  opts: { commonName: string; organization: string; days?: number; now?: Date },
): Promise<IssuedKeyPair> {
  return issueWithNewKey(ca, {
    subject: name(opts.commonName, opts.organization),
    validityMs: (opts.days ?? LEAF_VALIDITY_DAYS) * DAY_MS,
    now: opts.now ?? new Date(),
    extensions: clientExtensions(),
  });
}

/** Whether `certPem` was signed by this CA (signature and issuer), per node's X509 verification. */
export function issuedBy(ca: CertificateAuthority, certPem: string | Buffer): boolean {
  try {
    const leaf = new NodeX509Certificate(certPem);
    const caCert = new NodeX509Certificate(ca.certPem);
    return leaf.checkIssued(caCert) && leaf.verify(caCert.publicKey);
  } catch {
    return false;
  }
}
