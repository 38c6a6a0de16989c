/**
 * Per-RPC authentication from the verified client certificate. Register is the only RPC without one (a bootstrap
 * token authorizes it); AgentService.Session needs an agent certificate that the registry still knows, AdminService
 * the admin certificate. Unknown or foreign certificates are UNAUTHENTICATED; a valid certificate on the wrong service
 * is PERMISSION_DENIED.
 */
import { createHash, X509Certificate } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import { ADMINS_ORGANIZATION, AGENTS_ORGANIZATION, type CertificateAuthority } from '../pki/ca.js';
import type { AgentRecord, AgentRegistryStore } from './registry.js';
import { permissionDenied, unauthenticated, type GrpcStatusError } from '../../lib/grpc/status.js';

export interface PeerIdentity {
  readonly commonName: string;
  readonly organizations: readonly string[];
  /** sha256 hex of the certificate DER */
  readonly fingerprint: string;
}

type Call = Pick<grpc.ServerUnaryCall<unknown, unknown>, 'getAuthContext' | 'getPeer'>;

function subjectValues(subject: string, key: string): string[] {
  return subject
    .split('\n')
    .filter((line) => line.startsWith(`${key}=`))
    .map((line) => line.slice(key.length + 1));
}

export class PeerAuthenticator {
  private readonly caCert: X509Certificate;

  constructor(
    ca: CertificateAuthority,
    private readonly registry: AgentRegistryStore,
  ) {
    this.caCert = new X509Certificate(ca.certPem);
  }

  /**
   * The identity in the client certificate, or undefined when there is none we trust. grpc-js only reports a peer
   * certificate when OpenSSL verified it against our CA; checking issuer and signature again costs little and keeps
   * this correct even if the TLS options ever change.
   */
  identify(call: Call): PeerIdentity | undefined {
    const raw = call.getAuthContext()?.sslPeerCertificate?.raw;
    if (!raw) return undefined;
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(raw);
    } catch {
      return undefined;
    }
    if (!cert.checkIssued(this.caCert) || !cert.verify(this.caCert.publicKey)) return undefined;
    const now = Date.now();
    if (Date.parse(cert.validFrom) > now || Date.parse(cert.validTo) < now) return undefined;
    const commonName = subjectValues(cert.subject, 'CN')[0];
    if (!commonName) return undefined;
    return { commonName, organizations: subjectValues(cert.subject, 'O'), fingerprint: createHash('sha256').update(raw).digest('hex') };
  }

  /** undefined when the caller is the admin; otherwise the status to fail the call with. */
  authorizeAdmin(call: Call): GrpcStatusError | undefined {
    const id = this.identify(call);
    if (!id) return unauthenticated('the admin API needs the client certificate from admin.conf, issued by this coordinator');
    if (!id.organizations.includes(ADMINS_ORGANIZATION))
      return permissionDenied(`certificate CN=${id.commonName} may not use the admin API; coordinatorctl uses admin.conf`);
    return undefined;
  }

  /**
   * The registered agent behind the call and the fingerprint of the certificate it presented, or the status to fail it
   * with. Its current certificate opens a Session; so does the one a renewal replaced, until the renewed one has.
   */
  async authorizeAgent(call: Call): Promise<{ agent: AgentRecord; fingerprint: string } | { error: GrpcStatusError }> {
    const id = this.identify(call);
    if (!id) return { error: unauthenticated('a Session needs the client certificate this coordinator issued at Register') };
    if (!id.organizations.includes(AGENTS_ORGANIZATION)) return { error: permissionDenied(`certificate CN=${id.commonName} is not an agent certificate`) };
    const agent = await this.registry.get(id.commonName);
    if (!agent) return { error: unauthenticated(`agent ${id.commonName} is not registered (removed?); it must register again with a bootstrap token`) };
    if (agent.certFingerprint !== id.fingerprint && agent.previousCertFingerprint !== id.fingerprint)
      return { error: unauthenticated(`the certificate of agent ${id.commonName} was replaced by a newer registration or renewal`) };
    return { agent, fingerprint: id.fingerprint };
  }
}
