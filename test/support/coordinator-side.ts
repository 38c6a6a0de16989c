/**
 * The coordinator's side of the wire, for agent tests that run the agent against the coordinator's real NATS server
 * and state store. The two programs never import each other (.dependency-cruiser.cjs); a test that needs both meets
 * them here, under test/.
 */
export { startLocalNats, type LocalNats } from '../../coordinator/nats/server.js';
export { StateStore } from '../../coordinator/state/store.js';
export { loadOrCreateCa, type CertificateAuthority } from '../../coordinator/pki/ca.js';
export { ensureNatsServerCert } from '../../coordinator/nats/tls.js';
