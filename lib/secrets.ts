import { randomBytes } from 'node:crypto';

/** A fresh kubeadm certificate key: 32 random bytes, hex, as `kubeadm certs certificate-key` prints. */
export function randomCertificateKey(): string {
  return randomBytes(32).toString('hex');
}
