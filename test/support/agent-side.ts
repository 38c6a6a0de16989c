/**
 * The agent's side of the wire, for coordinator tests that drive the real agent client against the real server. The
 * two programs never import each other (.dependency-cruiser.cjs); a test that needs both meets them here, under test/.
 */
export { createCsr, loadOrCreateAgentKey } from '../../agent/identity.js';
export { AgentSession, registerAgent, type AgentSessionOptions, type TaskHandlers } from '../../agent/session-client.js';
export { loadRegistration, natsTlsFor, NATS_SEED_FILE, type Registration } from '../../agent/identity.js';
export { watchBackendSet } from '../../agent/lb/backend-watch.js';
