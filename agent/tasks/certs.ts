/**
 * Certificates on a node: kubeadm's view of them (`kubeadm certs check-expiration`), the kubelet's client
 * certificate, `kubeadm certs renew all`, and the certificate an apiserver actually serves.
 *
 * Who may cause them: the coordinator, over the session this agent opened to the CA it pinned. CertsCheck and
 * ServedCertificate only read (kubeadm's PKI and kubeconfigs, the kubelet's client certificate, one TLS handshake
 * with this node's apiserver, verified against the cluster CA). CertsRenew rewrites kubeadm's certificates and
 * kubeconfigs under /etc/kubernetes with the node's own CAs, as `kubeadm certs renew all` does; it is sent inside the
 * maintenance window only. No private key is read or sent: the kubelet's PEM holds its key, and only the certificate
 * block is parsed.
 */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { connect } from 'node:tls';
import { KubeadmHaError, PreconditionError, TimeoutError } from '../../core/errors.js';
import { CLUSTER_CA_CERT_PATH } from '../../core/host/paths.js';
import { certsCheckExpirationArgv, certsRenewAllArgv } from '../../core/kubeadm/argv.js';
import { parseCheckExpiration, type CertificateExpiry } from '../../core/kubeadm/parse.js';
import type { TaskResultInput } from '../../proto/index.js';
import type { HostOps } from '../hostops.js';
import { run, type StepContext } from './kubeadm.js';

export const KUBELET_CLIENT_CERT_PATH = '/var/lib/kubelet/pki/kubelet-client-current.pem';
export const APISERVER_CERT_PATH = '/etc/kubernetes/pki/apiserver.crt';

/** The first CERTIFICATE block of a PEM file, never the key beside it. */
function certificateOf(pem: string): X509Certificate | undefined {
  const block = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0];
  if (!block) return undefined;
  try {
    return new X509Certificate(block);
  } catch {
    return undefined;
  }
}

const iso = (d: string) => new Date(d).toISOString();

function row(e: CertificateExpiry, notBefore = '') {
  return {
    name: e.name,
    notAfter: e.notAfter?.toISOString() ?? '',
    authority: e.authority,
    externallyManaged: e.externallyManaged,
    missing: e.missing,
    notBefore,
  };
}

export async function certsCheck(host: HostOps, controlPlane: boolean, ctx: StepContext): Promise<TaskResultInput['certsCheck']> {
  let certificates: ReturnType<typeof row>[] = [];
  let authorities: ReturnType<typeof row>[] = [];
  if (controlPlane) {
    const result = await run(host, certsCheckExpirationArgv(), { ...ctx, progress: () => undefined });
    const parsed = parseCheckExpiration(result.stdout);
    // The apiserver's issue time tells a renewal that already happened from one still to do.
    const apiserver = certificateOf((await host.readFile(APISERVER_CERT_PATH)) ?? '');
    const writtenAt = await host.modifiedAt(APISERVER_CERT_PATH);
    certificates = parsed.certificates.map((c) =>
      c.name === 'apiserver' && apiserver
        ? { ...row(c, iso(apiserver.validFrom)), serial: apiserver.serialNumber.toLowerCase(), writtenAt: writtenAt?.toISOString() ?? '' }
        : row(c),
    );
    authorities = parsed.authorities.map((c) => row(c));
  }
  const kubelet = certificateOf((await host.readFile(KUBELET_CLIENT_CERT_PATH)) ?? '');
  return {
    certificates,
    authorities,
    ...(kubelet
      ? {
          kubeletClient: {
            name: 'kubelet-client',
            notAfter: iso(kubelet.validTo),
            notBefore: iso(kubelet.validFrom),
            authority: 'ca',
            externallyManaged: false,
            missing: false,
          },
        }
      : {}),
  };
}

export async function certsRenew(host: HostOps, ctx: StepContext): Promise<TaskResultInput['certsRenew']> {
  const result = await run(host, certsRenewAllArgv(), ctx);
  const lines = result.stdout.split('\n').filter((l) => / renewed$|^MISSING! |can't be renewed|skipped/.test(l));
  if (!lines.some((l) => l.endsWith(' renewed'))) throw new KubeadmHaError(`kubeadm certs renew all renewed nothing:\n${result.stdout.trim().slice(-1500)}`);
  return { lines };
}

/** One TLS handshake with address:port, verified against the cluster CA: the certificate it serves right now. */
export async function servedCertificate(host: HostOps, address: string, port: number, timeoutMs = 5_000): Promise<TaskResultInput['servedCertificate']> {
  if (isIP(address) === 0) throw new PreconditionError(`${JSON.stringify(address.slice(0, 64))} is not an IP address`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new PreconditionError(`${port} is not a TCP port`);
  const ca = await host.readFile(CLUSTER_CA_CERT_PATH);
  if (ca === undefined) throw new KubeadmHaError(`${CLUSTER_CA_CERT_PATH} does not exist: not a joined node`);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address, port, ca, rejectUnauthorized: true, timeout: timeoutMs }, () => {
      const peer = socket.getPeerX509Certificate();
      socket.destroy();
      if (!peer) return reject(new KubeadmHaError(`https://${address}:${port} presented no certificate`));
      resolve({ notBefore: iso(peer.validFrom), notAfter: iso(peer.validTo), serial: peer.serialNumber.toLowerCase() });
    });
    socket.on('timeout', () => socket.destroy(new TimeoutError(`no TLS handshake with ${address}:${port} within ${timeoutMs} ms`)));
    socket.on('error', reject);
  });
}
