/**
 * Issues the admin certificate into admin.conf (admin-conf.ts reads and renders the file).
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../../lib/fs.js';
import { ADMIN_CONF_FILE, loadAdminCredentials, renderAdminConf, type AdminCredentials } from './admin-conf.js';
import { ADMIN_COMMON_NAME, ADMINS_ORGANIZATION, issueClientCert, issuedBy, type CertificateAuthority } from './ca.js';
import { x509 } from './x509.js';

/** Re-issue when less than this is left, so an operator never finds coordinatorctl locked out. */
const RENEW_BEFORE_MS = 30 * 86_400_000;

async function currentIsUsable(ca: CertificateAuthority, path: string, server: string, now: Date): Promise<boolean> {
  let existing: AdminCredentials;
  try {
    existing = await loadAdminCredentials(path);
  } catch {
    return false;
  }
  if (existing.server !== server || existing.caPem.trim() !== ca.certPem.trim() || !issuedBy(ca, existing.certPem)) return false;
  return new x509.X509Certificate(existing.certPem).notAfter.getTime() - now.getTime() > RENEW_BEFORE_MS;
}

/** When the admin certificate in admin.conf expires; undefined when the file is missing or unreadable. */
export async function adminConfNotAfter(path: string): Promise<Date | undefined> {
  try {
    return new x509.X509Certificate((await loadAdminCredentials(path)).certPem).notAfter;
  } catch {
    return undefined;
  }
}

/**
 * Writes `<dir>/admin.conf` (0600) unless a usable one is already there: issued by this CA, for this address, and not
 * about to expire. Returns whether it wrote.
 */
export async function writeAdminCredentials(
  ca: CertificateAuthority,
  dir: string,
  opts: { server: string; now?: Date },
): Promise<{ path: string; written: boolean }> {
  const path = join(dir, ADMIN_CONF_FILE);
  const now = opts.now ?? new Date();
  if (await currentIsUsable(ca, path, opts.server, now)) return { path, written: false };
  const issued = await issueClientCert(ca, { commonName: ADMIN_COMMON_NAME, organization: ADMINS_ORGANIZATION, now });
  await writeFileAtomic(path, renderAdminConf({ server: opts.server, caPem: ca.certPem, certPem: issued.certPem, keyPem: issued.keyPem }), 0o600);
  return { path, written: true };
}
