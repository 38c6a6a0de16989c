/**
 * admin.conf: the admin client certificate and key, the CA and the coordinator address in one 0600 file, the way
 * kubeadm writes /etc/kubernetes/admin.conf. coordinatorctl reads it; whoever can read it controls the cluster.
 * Reading and writing the YAML only: coordinatorctl loads this on every command, and the issuing (admin-credentials.ts)
 * pulls in the X.509 library, a third of a second of module loading it does not need.
 */
import { parse, stringify } from 'yaml';
import { InputError, SpecError } from '../../core/errors.js';
import { COORDINATOR_ADMIN_CONF_PATH } from '../../core/host/paths.js';
import { readUserFile } from '../../lib/fs.js';

export const ADMIN_CONF_FILE = 'admin.conf';
const API_VERSION = 'kubeadm-ha.io/v1alpha1';
const KIND = 'AdminConfig';

export interface AdminCredentials {
  /** host:port coordinatorctl dials. */
  readonly server: string;
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const unb64 = (text: unknown): string => (typeof text === 'string' ? Buffer.from(text, 'base64').toString('utf8') : '');

export function renderAdminConf(creds: AdminCredentials): string {
  return (
    '# kubeadm-ha admin credentials, written by kubeadm-ha-coordinator. Keep this file 0600: it grants full control.\n' +
    stringify({
      apiVersion: API_VERSION,
      kind: KIND,
      server: creds.server,
      certificateAuthorityData: b64(creds.caPem),
      clientCertificateData: b64(creds.certPem),
      clientKeyData: b64(creds.keyPem),
    })
  );
}

export function parseAdminConf(text: string, source = ADMIN_CONF_FILE): AdminCredentials {
  let doc: Record<string, unknown>;
  try {
    doc = (parse(text) ?? {}) as Record<string, unknown>;
  } catch (err) {
    throw new SpecError(source, [{ path: '(document)', message: `invalid YAML: ${(err as Error).message.split('\n')[0]}` }]);
  }
  const creds = {
    server: typeof doc['server'] === 'string' ? doc['server'] : '',
    caPem: unb64(doc['certificateAuthorityData']),
    certPem: unb64(doc['clientCertificateData']),
    keyPem: unb64(doc['clientKeyData']),
  };
  const issues = [
    doc['kind'] !== KIND ? { path: 'kind', message: `must be ${KIND}` } : undefined,
    !creds.server ? { path: 'server', message: 'is required: the coordinator address as host:port' } : undefined,
    !creds.caPem.includes('BEGIN CERTIFICATE') ? { path: 'certificateAuthorityData', message: 'must be a base64 PEM certificate' } : undefined,
    !creds.certPem.includes('BEGIN CERTIFICATE') ? { path: 'clientCertificateData', message: 'must be a base64 PEM certificate' } : undefined,
    !creds.keyPem.includes('PRIVATE KEY') ? { path: 'clientKeyData', message: 'must be a base64 PEM private key' } : undefined,
  ].filter((i): i is { path: string; message: string } => i !== undefined);
  if (issues.length > 0) throw new SpecError(source, issues);
  return creds;
}

/** What an operator does about an admin.conf that cannot be used: the same advice for a missing and a broken one. */
export const ADMIN_CONF_HINT =
  `run coordinatorctl as root on the coordinator host (it reads ${COORDINATOR_ADMIN_CONF_PATH}), or pass --admin-conf FILE ` +
  '(or set KUBEADM_HA_ADMIN_CONF) with a copy of that file';

/** admin.conf as credentials, or an InputError on one line that names the file, what is wrong and what to do. */
export async function loadAdminCredentials(path: string): Promise<AdminCredentials> {
  const text = await readUserFile(path, 'admin.conf', ADMIN_CONF_HINT);
  try {
    return parseAdminConf(text, path);
  } catch (err) {
    if (!(err instanceof SpecError)) throw err;
    const problems = err.issues.map((i) => `${i.path} ${i.message}`).join('; ');
    throw new InputError(`${path} is not a usable admin.conf (${problems}); ${ADMIN_CONF_HINT}`);
  }
}
