/**
 * `kubeadm certs check-expiration` and `kubeadm certs renew <name|all>` (cmd/kubeadm/app/cmd/certs.go and
 * phases/certs/renewal): the certificates kubeadm manages on a control-plane node, read from the host root, and
 * renewed with the local CAs (a new key, the same subject, SANs and usages, a new validity from now:
 * KUBEADM_SIM_CERT_VALIDITY or a year). Kubeconfigs carry their client certificate inline; it is replaced in place.
 * The output is the real one: the configuration lines, Go's tabwriter table, `%-8v` for the last column.
 */
import 'reflect-metadata';
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import * as x509 from '@peculiar/x509';
import { parse as parseYaml, stringify } from 'yaml';
import { shortHumanDuration } from './duration.js';
import { hostPath, out, readHostFile, SimFailure, writeHostFile, type SimEnv } from './env.js';
import { getString, type ParsedCommand } from './grammar.js';
import { signLeaf, type CertAndKey, type LeafRequest } from './pki.js';
import { resolveKeyAlgorithm } from './cmd-init.js';
import { StateStore } from './state.js';
import type { KeyAlgorithm } from './key-algorithms.js';
import { minorOf } from './config.js';

interface Handler {
  readonly name: string;
  readonly longName: string;
  /** pki-relative base name (`apiserver` → apiserver.crt/.key), or the kubeconfig under /etc/kubernetes. */
  readonly file: string;
  readonly kubeconfig: boolean;
  readonly ca: 'ca' | 'etcd-ca' | 'front-proxy-ca';
}

const CA_FILES = { ca: 'ca', 'etcd-ca': 'etcd/ca', 'front-proxy-ca': 'front-proxy-ca' } as const;

/** renewal.GetDefaultCertList plus the kubeconfigs, sorted by name as rm.Certificates() returns them. */
function handlers(version: string): Handler[] {
  const list: Handler[] = [
    {
      name: 'admin.conf',
      longName: 'certificate embedded in the kubeconfig file for the admin to use and for kubeadm itself',
      file: 'admin.conf',
      kubeconfig: true,
      ca: 'ca',
    },
    { name: 'apiserver', longName: 'certificate for serving the Kubernetes API', file: 'apiserver', kubeconfig: false, ca: 'ca' },
    {
      name: 'apiserver-etcd-client',
      longName: 'certificate the apiserver uses to access etcd',
      file: 'apiserver-etcd-client',
      kubeconfig: false,
      ca: 'etcd-ca',
    },
    {
      name: 'apiserver-kubelet-client',
      longName: 'certificate for the API server to connect to kubelet',
      file: 'apiserver-kubelet-client',
      kubeconfig: false,
      ca: 'ca',
    },
    {
      name: 'controller-manager.conf',
      longName: 'certificate embedded in the kubeconfig file for the controller manager to use',
      file: 'controller-manager.conf',
      kubeconfig: true,
      ca: 'ca',
    },
    {
      name: 'etcd-healthcheck-client',
      longName: 'certificate for liveness probes to healthcheck etcd',
      file: 'etcd/healthcheck-client',
      kubeconfig: false,
      ca: 'etcd-ca',
    },
    { name: 'etcd-peer', longName: 'certificate for etcd nodes to communicate with each other', file: 'etcd/peer', kubeconfig: false, ca: 'etcd-ca' },
    { name: 'etcd-server', longName: 'certificate for serving etcd', file: 'etcd/server', kubeconfig: false, ca: 'etcd-ca' },
    { name: 'front-proxy-client', longName: 'certificate for the front proxy client', file: 'front-proxy-client', kubeconfig: false, ca: 'front-proxy-ca' },
    {
      name: 'scheduler.conf',
      longName: 'certificate embedded in the kubeconfig file for the scheduler manager to use',
      file: 'scheduler.conf',
      kubeconfig: true,
      ca: 'ca',
    },
  ];
  if (minorOf(version) >= 29)
    list.push({
      name: 'super-admin.conf',
      longName: 'certificate embedded in the kubeconfig file for the super-admin',
      file: 'super-admin.conf',
      kubeconfig: true,
      ca: 'ca',
    });
  return list;
}

/** The renewable names, for `kubeadm certs renew --help` and its argument check. */
export function renewableNames(version: string): string[] {
  return handlers(version).map((h) => h.name);
}

/** Go's text/tabwriter with minwidth 10, tabwidth 4, padding 3, padchar ' ', flags 0: a block of tab-separated lines. */
export function tabwrite(lines: readonly string[]): string {
  const out: string[] = [];
  let block: string[][] = [];
  const flush = () => {
    const widths: number[] = [];
    for (const cells of block) {
      for (let i = 0; i < cells.length - 1; i++) widths[i] = Math.max(widths[i] ?? 0, cells[i]!.length);
    }
    for (const cells of block) {
      const last = cells.length - 1;
      out.push(cells.map((c, i) => (i < last ? c.padEnd(Math.max(10, (widths[i] ?? 0) + 3)) : c)).join(''));
    }
    block = [];
  };
  for (const line of lines) {
    if (!line.includes('\t')) {
      flush();
      out.push(line);
    } else block.push(line.split('\t'));
  }
  flush();
  return out.map((l) => `${l}\n`).join('');
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** Go's "Jan 02, 2006 15:04 MST" in UTC. */
function expires(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${p(d.getUTCDate())}, ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())} UTC`;
}

interface Located {
  readonly certPem: string;
  readonly keyPem?: string;
  readonly kubeconfig?: Record<string, unknown>;
}

function certDirOf(p: ParsedCommand): string {
  return getString(p, 'cert-dir') || '/etc/kubernetes/pki';
}

function locate(env: SimEnv, certDir: string, h: Handler): Located | undefined {
  if (h.kubeconfig) {
    const text = readHostFile(env.root, `/etc/kubernetes/${h.file}`);
    if (text === null) return undefined;
    const doc = parseYaml(text) as Record<string, unknown>;
    const users = (doc.users as { user: Record<string, string> }[] | undefined) ?? [];
    const data = users[0]?.user['client-certificate-data'];
    if (!data) return undefined;
    return { certPem: Buffer.from(data, 'base64').toString(), kubeconfig: doc };
  }
  const certPem = readHostFile(env.root, `${certDir}/${h.file}.crt`);
  if (certPem === null) return undefined;
  return { certPem, keyPem: readHostFile(env.root, `${certDir}/${h.file}.key`) ?? undefined };
}

/** FetchInitConfigurationFromCluster's lines, or the fallback line when the cluster cannot be read. */
function configurationLines(env: SimEnv, p: ParsedCommand, prefix: string): void {
  if (getString(p, 'config')) return;
  const kubeconfig = getString(p, 'kubeconfig') || '/etc/kubernetes/admin.conf';
  const reachable = existsSync(hostPath(env.root, kubeconfig)) && new StateStore(env.stateDir).read() !== null;
  if (reachable) {
    out(`[${prefix}] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...\n`);
    out(`[${prefix}] Use 'kubeadm init phase upload-config --config your-config-file' to re-upload it.\n\n`);
  } else out(`[${prefix}] Error reading configuration from the Cluster. Falling back to default configuration\n\n`);
}

export function runCertsCheckExpiration(p: ParsedCommand, env: SimEnv): void {
  configurationLines(env, p, 'check-expiration');
  const certDir = certDirOf(p);
  const now = Date.now();
  const lines = ['CERTIFICATE\tEXPIRES\tRESIDUAL TIME\tCERTIFICATE AUTHORITY\tEXTERNALLY MANAGED'];
  for (const h of handlers(env.version)) {
    const found = locate(env, certDir, h);
    if (!found) {
      lines.push(`!MISSING! ${h.name}\t\t\t\t`);
      continue;
    }
    const notAfter = new Date(new X509Certificate(found.certPem).validTo);
    lines.push(`${h.name}\t${expires(notAfter)}\t${shortHumanDuration(notAfter.getTime() - now)}\t${h.ca}\t${'no'.padEnd(8)}`);
  }
  lines.push('');
  lines.push('CERTIFICATE AUTHORITY\tEXPIRES\tRESIDUAL TIME\tEXTERNALLY MANAGED');
  for (const [ca, file] of Object.entries(CA_FILES)) {
    const pem = readHostFile(env.root, `${certDir}/${file}.crt`);
    if (pem === null) {
      lines.push(`!MISSING! ${ca}\t\t\t`);
      continue;
    }
    const notAfter = new Date(new X509Certificate(pem).validTo);
    // An external CA is one whose key is not here: kubeadm cannot renew what it signed.
    const external = readHostFile(env.root, `${certDir}/${file}.key`) === null;
    lines.push(`${ca}\t${expires(notAfter)}\t${shortHumanDuration(notAfter.getTime() - now)}\t${(external ? 'yes' : 'no').padEnd(8)}`);
  }
  out(tabwrite(lines));
}

/** What the old certificate says, so that the new one is the same certificate with a new key and a new validity. */
function requestFrom(certPem: string): LeafRequest {
  const cert = new x509.X509Certificate(certPem);
  const subject = cert.subjectName.toJSON();
  const values = (type: string) => subject.flatMap((rdn) => rdn[type] ?? []);
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const eku = cert.getExtension(x509.ExtendedKeyUsageExtension);
  const usages: ('server' | 'client')[] = [];
  if (eku?.usages.includes(x509.ExtendedKeyUsage.serverAuth)) usages.push('server');
  if (eku?.usages.includes(x509.ExtendedKeyUsage.clientAuth)) usages.push('client');
  return {
    commonName: values('CN')[0] ?? '',
    organizations: values('O'),
    dnsNames: san?.names.items.filter((n) => n.type === 'dns').map((n) => n.value) ?? [],
    ips: san?.names.items.filter((n) => n.type === 'ip').map((n) => n.value) ?? [],
    usages,
  };
}

function readCa(env: SimEnv, certDir: string, ca: Handler['ca']): CertAndKey | undefined {
  const certPem = readHostFile(env.root, `${certDir}/${CA_FILES[ca]}.crt`);
  const keyPem = readHostFile(env.root, `${certDir}/${CA_FILES[ca]}.key`);
  return certPem !== null && keyPem !== null ? { certPem, keyPem } : undefined;
}

async function renewOne(env: SimEnv, certDir: string, h: Handler): Promise<void> {
  const found = locate(env, certDir, h);
  if (!found) {
    out(`MISSING! ${h.longName}\n`);
    return;
  }
  const ca = readCa(env, certDir, h.ca);
  if (!ca) {
    out(`Detected external ${h.ca}, ${h.longName} can't be renewed\n`);
    return;
  }
  const state = new StateStore(env.stateDir).read();
  const alg = resolveKeyAlgorithm(env, state?.encryptionAlgorithm ?? 'RSA-2048');
  await renewWithNewKey(env, certDir, h, found, ca, alg);
  out(`${h.longName} renewed\n`);
}

/** The same subject, SANs and usages on a new key (never the one it replaces), written where the old one was. */
async function renewWithNewKey(env: SimEnv, certDir: string, h: Handler, found: Located, ca: CertAndKey, alg: KeyAlgorithm): Promise<void> {
  const renewed = await signLeaf(ca, requestFrom(found.certPem), alg, Date.now(), found.certPem);
  if (found.kubeconfig) {
    const users = found.kubeconfig.users as { user: Record<string, string> }[];
    users[0]!.user['client-certificate-data'] = Buffer.from(renewed.certPem).toString('base64');
    users[0]!.user['client-key-data'] = Buffer.from(renewed.keyPem).toString('base64');
    writeHostFile(env.root, `/etc/kubernetes/${h.file}`, stringify(found.kubeconfig), 0o600);
  } else {
    writeHostFile(env.root, `${certDir}/${h.file}.key`, renewed.keyPem, 0o600);
    writeHostFile(env.root, `${certDir}/${h.file}.crt`, renewed.certPem, 0o644);
  }
}

export async function runCertsRenew(p: ParsedCommand, env: SimEnv, which: string): Promise<void> {
  configurationLines(env, p, 'renew');
  const certDir = certDirOf(p);
  const all = handlers(env.version);
  if (which === 'all') {
    for (const h of all) await renewOne(env, certDir, h);
    out(
      '\nDone renewing certificates. You must restart the kube-apiserver, kube-controller-manager, kube-scheduler and etcd, so that they can use the new certificates.\n',
    );
    return;
  }
  const h = all.find((x) => x.name === which);
  if (!h) throw new SimFailure(`kubeadm-sim: "kubeadm certs renew ${which}" is not a certificate kubeadm renews`);
  await renewOne(env, certDir, h);
}

/** What `kubeadm upgrade apply|node` does with --certificate-renewal=true (the default): every leaf renewed, nothing printed. */
export async function runCertsRenewQuietly(env: SimEnv): Promise<void> {
  const certDir = '/etc/kubernetes/pki';
  const state = new StateStore(env.stateDir).read();
  const alg = resolveKeyAlgorithm(env, state?.encryptionAlgorithm ?? 'RSA-2048');
  for (const h of handlers(env.version)) {
    const found = locate(env, certDir, h);
    const ca = readCa(env, certDir, h.ca);
    if (!found || !ca) continue;
    await renewWithNewKey(env, certDir, h, found, ca, alg);
  }
}
