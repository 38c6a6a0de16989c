/**
 * The embedded nats-server's TLS certificate, issued by the coordinator CA. Agents verify the server against the CA
 * they pinned at registration, so a host on the path (ARP spoofing, a rogue DHCP answer) cannot pose as the NATS
 * server and feed forged backend sets to every haproxy: it would need a certificate from the coordinator's CA key.
 *
 * The certificate names the NATS listen host (IP or DNS) and loopback, the addresses clients are given. It is
 * reissued at start when it is missing, not issued by this CA, close to expiry, or when its names differ from the
 * listen host (the operator moved --nats-listen).
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readFileIfExists, writeFileAtomic } from '../../lib/fs.js';
import type { Logger } from '../../lib/log.js';
import type { NatsClientTls } from '../../lib/nats/credentials.js';
import { LEAF_VALIDITY_DAYS, issueServerCert, issuedBy, type CertificateAuthority } from '../pki/ca.js';
import type { NatsServerTls } from './config.js';

export const NATS_CERT_FILE = 'nats-server.crt';
export const NATS_KEY_FILE = 'nats-server.key';
/** Reissued at start when it expires within this long: a coordinator restarts at least that often (upgrades). */
const RENEW_BEFORE_MS = 30 * 86_400_000;
const LOOPBACK = { ips: ['127.0.0.1', '::1'], dnsNames: ['localhost'] };

export interface NatsServerCertificate {
  /** For the nats-server config (`tls { cert_file, key_file }`). */
  readonly server: NatsServerTls;
  /** For the coordinator's own client connection: trust the coordinator CA and nothing else. */
  readonly client: NatsClientTls;
  /** Whether this start issued a new certificate (and why). */
  readonly issued?: string;
}

/** The names the certificate must carry for `listenHost`; a wildcard listen address is reached through loopback only. */
export function natsCertSans(listenHost: string): { ips: string[]; dnsNames: string[] } {
  const host = listenHost.replace(/^\[|\]$/g, '');
  const ips = new Set(LOOPBACK.ips);
  const dnsNames = new Set(LOOPBACK.dnsNames);
  if (host !== '0.0.0.0' && host !== '::' && host !== '') {
    if (isIP(host) !== 0) ips.add(host);
    else dnsNames.add(host.toLowerCase());
  }
  return { ips: [...ips].sort(), dnsNames: [...dnsNames].sort() };
}

/**
 * Makes sure `<dir>/nats-server.crt` (chain, 0644) and `nats-server.key` (0600) are a valid pair for `listenHost`,
 * issued by `ca`, and returns where they are. `dir` is the embedded server's own directory (0700).
 */
export async function ensureNatsServerCert(
  ca: CertificateAuthority,
  dir: string,
  listenHost: string,
  opts: { logger?: Logger; now?: Date; days?: number } = {},
): Promise<NatsServerCertificate> {
  const certFile = join(dir, NATS_CERT_FILE);
  const keyFile = join(dir, NATS_KEY_FILE);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const sans = natsCertSans(listenHost);
  const now = opts.now ?? new Date();
  const [certPem, keyPem] = await Promise.all([readFileIfExists(certFile), readFileIfExists(keyFile)]);
  const reason = reissueReason(ca, certPem, keyPem, sans, now);
  if (reason) {
    const issued = await issueServerCert(ca, { ...sans, days: opts.days ?? LEAF_VALIDITY_DAYS, now });
    // Key first: a crash in between leaves a key that does not match the old certificate, which the next start reissues.
    await writeFileAtomic(keyFile, issued.keyPem, 0o600);
    await writeFileAtomic(certFile, issued.chainPem, 0o644);
    opts.logger?.info({ reason, sans, notAfter: issued.notAfter.toISOString() }, 'issued the NATS server certificate');
  }
  return { server: { certFile, keyFile }, client: { ca: ca.certPem }, ...(reason ? { issued: reason } : {}) };
}

function reissueReason(
  ca: CertificateAuthority,
  certPem: string | undefined,
  keyPem: string | undefined,
  sans: { ips: string[]; dnsNames: string[] },
  now: Date,
): string | undefined {
  if (certPem === undefined || keyPem === undefined) return 'missing';
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    return 'unreadable';
  }
  if (!issuedBy(ca, certPem)) return 'not issued by the coordinator CA';
  try {
    if (!cert.checkPrivateKey(createPrivateKey(keyPem))) return 'key does not match';
  } catch {
    return 'key unreadable';
  }
  if (Date.parse(cert.validTo) - now.getTime() < RENEW_BEFORE_MS) return `expires ${new Date(cert.validTo).toISOString()}`;
  const have = sansOf(cert);
  const want = [...sans.ips.map((ip) => `IP:${normalizeIp(ip)}`), ...sans.dnsNames.map((d) => `DNS:${d}`)].sort();
  if (have.join(',') !== want.join(',')) return `names changed (${have.join(', ')} → ${want.join(', ')})`;
  return undefined;
}

/** The SANs as `IP:…`/`DNS:…`, IPv6 written the way isIP-normalized input writes it (Node prints `::1` as `0:0:…:1`). */
function sansOf(cert: X509Certificate): string[] {
  return (cert.subjectAltName ?? '')
    .split(/,\s*/)
    .filter(Boolean)
    .map((entry) => {
      const [kind, value = ''] = entry.split(/:(.*)/s);
      if (kind === 'IP Address') return `IP:${normalizeIp(value)}`;
      return `${kind}:${value}`;
    })
    .sort();
}

function normalizeIp(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  // Node prints IPv6 SANs in full; compare in the URL-normalized (compressed) form.
  return new URL(`http://[${ip}]/`).hostname.replace(/^\[|\]$/g, '');
}
