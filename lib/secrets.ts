import { randomBytes, randomInt } from 'node:crypto';

const ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** keepalived keeps 8 characters of a PASS secret; anything longer would be silently cut. */
export function randomAuthPass(length = 8): string {
  return Array.from({ length }, () => ALPHANUMERIC[randomInt(ALPHANUMERIC.length)]).join('');
}

/** A fresh kubeadm certificate key: 32 random bytes, hex, as `kubeadm certs certificate-key` prints. */
export function randomCertificateKey(): string {
  return randomBytes(32).toString('hex');
}
