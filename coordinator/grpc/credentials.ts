/**
 * TLS for the coordinator's one gRPC port. Register must work before an agent has a certificate, so the server asks
 * every client for a certificate but does not require one (requestCert without rejectUnauthorized). OpenSSL still
 * verifies whatever certificate is presented against our CA, and grpc-js exposes it through call.getAuthContext()
 * only when that verification succeeded; auth.ts then decides per RPC. grpc-js's public createSsl can only "require"
 * or "not ask", so this uses its certificate-provider credentials, which take requireClientCertificate separately.
 */
import * as grpc from '@grpc/grpc-js';

export interface ServerTlsMaterial {
  /** The CA that client certificates must chain to. */
  readonly caPem: string;
  /** Server certificate followed by the CA certificate, so agents can pin the CA from the presented chain. */
  readonly certChainPem: string;
  readonly keyPem: string;
}

class StaticCertificateProvider implements grpc.experimental.CertificateProvider {
  constructor(private readonly material: ServerTlsMaterial) {}

  // grpc-js registers its watcher after adding these listeners; answering on the next tick lets it see the update.
  addCaCertificateListener(listener: grpc.experimental.CaCertificateUpdateListener): void {
    process.nextTick(listener, { caCertificate: Buffer.from(this.material.caPem) });
  }

  removeCaCertificateListener(): void {}

  addIdentityCertificateListener(listener: grpc.experimental.IdentityCertificateUpdateListener): void {
    process.nextTick(listener, { certificate: Buffer.from(this.material.certChainPem), privateKey: Buffer.from(this.material.keyPem) });
  }

  removeIdentityCertificateListener(): void {}
}

export function createServerCredentials(material: ServerTlsMaterial): grpc.ServerCredentials {
  const provider = new StaticCertificateProvider(material);
  // First argument: identity provider; second: CA provider (the .d.ts names are swapped; the implementation is not).
  return grpc.experimental.createCertificateProviderServerCredentials(provider, provider, false);
}
