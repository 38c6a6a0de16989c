/**
 * Writes a simulated host's kubeadm-managed files: the PKI under the certificates dir, the
 * kubeconfigs under /etc/kubernetes, the kubelet's files, printing kubeadm's progress lines.
 */
import { X509Certificate } from 'node:crypto';
import { createCA, createServiceAccountKey, signLeaf, type CertAndKey, type KeyAlgorithm } from './pki.js';
import { renderKubeconfig } from './render.js';
import { firstServiceIP } from './render.js';
import { writeHostFile, readHostFile, out } from './env.js';
import { goSlice } from './output.js';

export interface SharedCerts {
  ca: CertAndKey;
  frontProxyCa: CertAndKey;
  etcdCa: CertAndKey;
  sa: { keyPem: string; publicPem: string };
}

/** The files the kubeadm-certs Secret carries, relative to the certificates dir. */
export const SHARED_CERT_FILES = ['ca.crt', 'ca.key', 'front-proxy-ca.crt', 'front-proxy-ca.key', 'sa.pub', 'sa.key', 'etcd/ca.crt', 'etcd/ca.key'] as const;

export function sharedToFiles(s: SharedCerts): Record<string, string> {
  return {
    'ca.crt': s.ca.certPem,
    'ca.key': s.ca.keyPem,
    'front-proxy-ca.crt': s.frontProxyCa.certPem,
    'front-proxy-ca.key': s.frontProxyCa.keyPem,
    'sa.pub': s.sa.publicPem,
    'sa.key': s.sa.keyPem,
    'etcd/ca.crt': s.etcdCa.certPem,
    'etcd/ca.key': s.etcdCa.keyPem,
  };
}

export function filesToShared(f: Record<string, string>): SharedCerts {
  const get = (k: string): string => {
    const v = f[k];
    if (v === undefined) throw new Error(`the Secret does not include the required certificate or key - name: ${k}`);
    return v;
  };
  return {
    ca: { certPem: get('ca.crt'), keyPem: get('ca.key') },
    frontProxyCa: { certPem: get('front-proxy-ca.crt'), keyPem: get('front-proxy-ca.key') },
    etcdCa: { certPem: get('etcd/ca.crt'), keyPem: get('etcd/ca.key') },
    sa: { publicPem: get('sa.pub'), keyPem: get('sa.key') },
  };
}

export async function createSharedCerts(alg: KeyAlgorithm, nowMs: number): Promise<SharedCerts> {
  const [ca, frontProxyCa, etcdCa, sa] = await Promise.all([
    createCA('kubernetes', alg, nowMs),
    createCA('front-proxy-ca', alg, nowMs),
    createCA('etcd-ca', alg, nowMs),
    createServiceAccountKey(alg),
  ]);
  return { ca, frontProxyCa, etcdCa, sa };
}

const isIP = (s: string): boolean => /^\d+\.\d+\.\d+\.\d+$/.test(s) || s.includes(':');

export function splitHostPort(hp: string): { host: string; port: string } {
  const m = /^\[(.*)\]:(\d+)$/.exec(hp) ?? /^([^:]*):(\d+)$/.exec(hp);
  if (m) return { host: m[1] ?? '', port: m[2] ?? '' };
  return { host: hp, port: '' };
}

export interface NodeCertInput {
  nodeName: string;
  advertiseAddress: string;
  controlPlaneEndpoint: string;
  certSANs: string[];
  serviceSubnet: string;
  dnsDomain: string;
  certificatesDir: string;
  localEtcd: boolean;
}

/** certs.GetAPIServerAltNames: DNS names deduped and sorted, IPs in order. */
export function apiServerAltNames(i: NodeCertInput): { dns: string[]; ips: string[] } {
  const dns = new Set([i.nodeName, 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', `kubernetes.default.svc.${i.dnsDomain}`]);
  const ips: string[] = [firstServiceIP(i.serviceSubnet), i.advertiseAddress];
  const extra = [...(i.controlPlaneEndpoint ? [splitHostPort(i.controlPlaneEndpoint).host] : []), ...i.certSANs];
  for (const e of extra) {
    if (isIP(e)) {
      if (!ips.includes(e)) ips.push(e);
    } else if (e) dns.add(e);
  }
  return { dns: [...dns].sort(), ips };
}

function etcdAltNames(i: NodeCertInput): { dns: string[]; ips: string[] } {
  return { dns: ['localhost', i.nodeName].sort(), ips: [i.advertiseAddress, '127.0.0.1', '::1'] };
}

function writeCertAndKey(root: string, dir: string, base: string, ck: CertAndKey): void {
  writeHostFile(root, `${dir}/${base}.crt`, ck.certPem, 0o644);
  writeHostFile(root, `${dir}/${base}.key`, ck.keyPem, 0o600);
}

export function writeSharedCerts(root: string, dir: string, s: SharedCerts): void {
  writeCertAndKey(root, dir, 'ca', s.ca);
  writeCertAndKey(root, dir, 'front-proxy-ca', s.frontProxyCa);
  writeCertAndKey(root, dir, 'etcd/ca', s.etcdCa);
  writeHostFile(root, `${dir}/sa.key`, s.sa.keyPem, 0o600);
  writeHostFile(root, `${dir}/sa.pub`, s.sa.publicPem, 0o600);
}

/**
 * Generates this control-plane node's leaf certificates and prints kubeadm's lines. With `fresh`
 * (init) the CA lines are interleaved as kubeadm prints them; otherwise (join) the shared ones
 * already exist on disk.
 */
export async function createControlPlaneLeafCerts(
  root: string,
  shared: SharedCerts,
  i: NodeCertInput,
  alg: KeyAlgorithm,
  nowMs: number,
  fresh: boolean,
): Promise<CertAndKey> {
  const api = apiServerAltNames(i);
  const etcd = etcdAltNames(i);
  const [apiserver, kubeletClient, frontProxyClient, etcdServer, etcdPeer, etcdHealth, apiEtcdClient] = await Promise.all([
    signLeaf(shared.ca, { commonName: 'kube-apiserver', dnsNames: api.dns, ips: api.ips, usages: ['server'] }, alg, nowMs),
    signLeaf(shared.ca, { commonName: 'kube-apiserver-kubelet-client', organizations: ['kubeadm:cluster-admins'], usages: ['client'] }, alg, nowMs),
    signLeaf(shared.frontProxyCa, { commonName: 'front-proxy-client', usages: ['client'] }, alg, nowMs),
    i.localEtcd ? signLeaf(shared.etcdCa, { commonName: i.nodeName, dnsNames: etcd.dns, ips: etcd.ips, usages: ['server', 'client'] }, alg, nowMs) : null,
    i.localEtcd ? signLeaf(shared.etcdCa, { commonName: i.nodeName, dnsNames: etcd.dns, ips: etcd.ips, usages: ['server', 'client'] }, alg, nowMs) : null,
    i.localEtcd ? signLeaf(shared.etcdCa, { commonName: 'kube-etcd-healthcheck-client', usages: ['client'] }, alg, nowMs) : null,
    i.localEtcd ? signLeaf(shared.etcdCa, { commonName: 'kube-apiserver-etcd-client', usages: ['client'] }, alg, nowMs) : null,
  ]);
  const dir = i.certificatesDir;
  const gen = (name: string): void => out(`[certs] Generating ${JSON.stringify(name)} certificate and key\n`);
  const serving = (name: string, names: { dns: string[]; ips: string[] }): void =>
    out(`[certs] ${name} serving cert is signed for DNS names ${goSlice(names.dns)} and IPs ${goSlice(names.ips)}\n`);
  out(`[certs] Using certificateDir folder ${JSON.stringify(dir)}\n`);
  if (fresh) {
    gen('ca');
    writeCertAndKey(root, dir, 'ca', shared.ca);
  }
  gen('apiserver');
  serving('apiserver', api);
  writeCertAndKey(root, dir, 'apiserver', apiserver);
  gen('apiserver-kubelet-client');
  writeCertAndKey(root, dir, 'apiserver-kubelet-client', kubeletClient);
  if (fresh) {
    gen('front-proxy-ca');
    writeCertAndKey(root, dir, 'front-proxy-ca', shared.frontProxyCa);
  }
  gen('front-proxy-client');
  writeCertAndKey(root, dir, 'front-proxy-client', frontProxyClient);
  if (i.localEtcd && etcdServer && etcdPeer && etcdHealth && apiEtcdClient) {
    if (fresh) {
      gen('etcd/ca');
      writeCertAndKey(root, dir, 'etcd/ca', shared.etcdCa);
    }
    gen('etcd/server');
    serving('etcd/server', etcd);
    writeCertAndKey(root, dir, 'etcd/server', etcdServer);
    gen('etcd/peer');
    serving('etcd/peer', etcd);
    writeCertAndKey(root, dir, 'etcd/peer', etcdPeer);
    gen('etcd/healthcheck-client');
    writeCertAndKey(root, dir, 'etcd/healthcheck-client', etcdHealth);
    gen('apiserver-etcd-client');
    writeCertAndKey(root, dir, 'apiserver-etcd-client', apiEtcdClient);
  }
  if (fresh) {
    out('[certs] Generating "sa" key and public key\n');
    writeHostFile(root, `${dir}/sa.key`, shared.sa.keyPem, 0o600);
    writeHostFile(root, `${dir}/sa.pub`, shared.sa.publicPem, 0o600);
  } else {
    out(`[certs] Valid certificates and keys now exist in ${JSON.stringify(dir)}\n`);
    out('[certs] Using the existing "sa" key\n');
  }
  return apiserver;
}

export interface KubeconfigSet {
  clusterName: string;
  ca: CertAndKey;
  /** https://host:port used by admin.conf and kubelet.conf. */
  endpointServer: string;
  /** https://advertise:bindPort used by controller-manager.conf and scheduler.conf. */
  localServer: string;
  nodeName: string;
}

async function clientConfig(
  root: string,
  file: string,
  k: KubeconfigSet,
  userName: string,
  cn: string,
  orgs: string[],
  server: string,
  alg: KeyAlgorithm,
  nowMs: number,
): Promise<void> {
  const cert = await signLeaf(k.ca, { commonName: cn, organizations: orgs, usages: ['client'] }, alg, nowMs);
  writeHostFile(
    root,
    `/etc/kubernetes/${file}`,
    renderKubeconfig({ clusterName: k.clusterName, server, caPem: k.ca.certPem, userName, clientCertPem: cert.certPem, clientKeyPem: cert.keyPem }),
    0o600,
  );
}

/** The control-plane kubeconfigs; `superAdmin` for init on v1.29+. */
export async function writeControlPlaneKubeconfigs(
  root: string,
  k: KubeconfigSet,
  opts: { superAdmin: boolean; kubelet: boolean },
  alg: KeyAlgorithm,
  nowMs: number,
): Promise<void> {
  const files: [string, () => Promise<void>][] = [
    ['admin.conf', () => clientConfig(root, 'admin.conf', k, 'kubernetes-admin', 'kubernetes-admin', ['kubeadm:cluster-admins'], k.endpointServer, alg, nowMs)],
  ];
  if (opts.superAdmin)
    files.push([
      'super-admin.conf',
      () => clientConfig(root, 'super-admin.conf', k, 'kubernetes-super-admin', 'kubernetes-super-admin', ['system:masters'], k.endpointServer, alg, nowMs),
    ]);
  if (opts.kubelet) files.push(['kubelet.conf', () => writeInitKubeletConf(root, k, alg, nowMs)]);
  files.push([
    'controller-manager.conf',
    () => clientConfig(root, 'controller-manager.conf', k, 'system:kube-controller-manager', 'system:kube-controller-manager', [], k.localServer, alg, nowMs),
  ]);
  files.push([
    'scheduler.conf',
    () => clientConfig(root, 'scheduler.conf', k, 'system:kube-scheduler', 'system:kube-scheduler', [], k.localServer, alg, nowMs),
  ]);
  await Promise.all(files.map(([, w]) => w()));
  for (const [name] of files) out(`[kubeconfig] Writing ${JSON.stringify(name)} kubeconfig file\n`);
}

async function writeInitKubeletConf(root: string, k: KubeconfigSet, alg: KeyAlgorithm, nowMs: number): Promise<void> {
  const cert = await signLeaf(k.ca, { commonName: `system:node:${k.nodeName}`, organizations: ['system:nodes'], usages: ['client'] }, alg, nowMs);
  writeHostFile(root, '/var/lib/kubelet/pki/kubelet-client-current.pem', cert.certPem + cert.keyPem, 0o600);
  const user = `system:node:${k.nodeName}`;
  writeHostFile(
    root,
    '/etc/kubernetes/kubelet.conf',
    renderKubeconfig({
      clusterName: k.clusterName,
      server: k.endpointServer,
      caPem: k.ca.certPem,
      userName: user,
      clientCertFile: '/var/lib/kubelet/pki/kubelet-client-current.pem',
      clientKeyFile: '/var/lib/kubelet/pki/kubelet-client-current.pem',
    }),
    0o600,
  );
}

/** What the kubelet's TLS bootstrap leaves on a joined node. */
export async function writeBootstrappedKubelet(
  root: string,
  ca: CertAndKey,
  server: string,
  nodeName: string,
  alg: KeyAlgorithm,
  nowMs: number,
): Promise<void> {
  const cert = await signLeaf(ca, { commonName: `system:node:${nodeName}`, organizations: ['system:nodes'], usages: ['client'] }, alg, nowMs);
  writeHostFile(root, '/var/lib/kubelet/pki/kubelet-client-current.pem', cert.certPem + cert.keyPem, 0o600);
  writeHostFile(root, '/etc/kubernetes/pki/ca.crt', ca.certPem, 0o644);
  writeHostFile(
    root,
    '/etc/kubernetes/kubelet.conf',
    renderKubeconfig({
      clusterName: 'default-cluster',
      server,
      caPem: ca.certPem,
      userName: 'default-auth',
      contextName: 'default-context',
      clientCertFile: '/var/lib/kubelet/pki/kubelet-client-current.pem',
      clientKeyFile: '/var/lib/kubelet/pki/kubelet-client-current.pem',
    }),
    0o600,
  );
}

/** Reads the shared CA files present on a host (for the upload-certs phase). */
export function readSharedFromHost(root: string, dir: string): Record<string, string> {
  const outFiles: Record<string, string> = {};
  for (const f of SHARED_CERT_FILES) {
    const v = readHostFile(root, `${dir}/${f}`);
    if (v !== null) outFiles[f] = v;
  }
  return outFiles;
}

export function certNotAfterMs(pem: string): number {
  return Date.parse(new X509Certificate(pem).validTo);
}
