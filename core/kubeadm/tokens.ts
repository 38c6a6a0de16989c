/**
 * The shapes of kubeadm's join credentials, as kubeadm itself checks them (bootstraputil.IsValidBootstrapToken,
 * the AES-256 certificate key, pubkeypin's `sha256:<hex>`). Used to reject a garbled value before it reaches a host,
 * and to recognise secrets in argv and output so they can be masked. Messages never echo the value.
 */
import { KubeadmHaError } from '../errors.js';

/** The unanchored shapes, shared with core/redact.ts so that what is validated here is also what gets masked. */
export const BOOTSTRAP_TOKEN_ID_PATTERN = '[a-z0-9]{6}';
export const BOOTSTRAP_TOKEN_SECRET_PATTERN = '[a-z0-9]{16}';
export const CERTIFICATE_KEY_PATTERN = '[a-f0-9]{64}';

/** `abcdef.0123456789abcdef`: the 6-character ID is public (it names the Secret), the 16-character part is the secret. */
export const BOOTSTRAP_TOKEN_RE = new RegExp(`^(${BOOTSTRAP_TOKEN_ID_PATTERN})\\.(${BOOTSTRAP_TOKEN_SECRET_PATTERN})$`);
export const BOOTSTRAP_TOKEN_ID_RE = new RegExp(`^${BOOTSTRAP_TOKEN_ID_PATTERN}$`);
/** A hex-encoded 32-byte AES key, as `kubeadm certs certificate-key` prints it. */
export const CERTIFICATE_KEY_RE = new RegExp(`^${CERTIFICATE_KEY_PATTERN}$`);
/** The SHA-256 of the cluster CA's SubjectPublicKeyInfo, as `--discovery-token-ca-cert-hash` takes it. */
export const CA_CERT_HASH_RE = new RegExp(`^sha256:${CERTIFICATE_KEY_PATTERN}$`);

export function isBootstrapToken(value: string): boolean {
  return BOOTSTRAP_TOKEN_RE.test(value);
}

export function isBootstrapTokenId(value: string): boolean {
  return BOOTSTRAP_TOKEN_ID_RE.test(value);
}

export function isCertificateKey(value: string): boolean {
  return CERTIFICATE_KEY_RE.test(value);
}

export function isCaCertHash(value: string): boolean {
  return CA_CERT_HASH_RE.test(value);
}

/** The public half of a bootstrap token, safe to log and to pass to `kubeadm token delete`. Accepts an ID as is. */
export function bootstrapTokenId(tokenOrId: string): string {
  if (isBootstrapTokenId(tokenOrId)) return tokenOrId;
  const m = BOOTSTRAP_TOKEN_RE.exec(tokenOrId);
  if (!m) throw new KubeadmHaError('not a bootstrap token: expected the form [a-z0-9]{6}.[a-z0-9]{16} or a 6-character token ID');
  return m[1]!;
}

export interface JoinCredentials {
  /** A bootstrap token, `[a-z0-9]{6}.[a-z0-9]{16}`. */
  readonly token: string;
  /** `sha256:<64 hex>`: pins the cluster CA during discovery. */
  readonly caCertHash: string;
  /** Control-plane joins only: decrypts the kubeadm-certs Secret. */
  readonly certificateKey?: string;
}

/** Every problem with a set of join credentials, described without the values themselves. */
export function joinCredentialProblems(credentials: JoinCredentials): string[] {
  const problems: string[] = [];
  if (!isBootstrapToken(credentials.token)) problems.push('the bootstrap token is not of the form [a-z0-9]{6}.[a-z0-9]{16}');
  if (!isCaCertHash(credentials.caCertHash)) problems.push('the CA certificate hash is not of the form sha256:<64 lowercase hex digits>');
  if (credentials.certificateKey !== undefined && !isCertificateKey(credentials.certificateKey)) {
    problems.push('the certificate key is not 64 lowercase hex digits');
  }
  return problems;
}
