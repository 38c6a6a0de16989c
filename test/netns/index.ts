/** The network-namespace lab for multi-host tests. describeE2E lives in describe-e2e.ts (it imports vitest). */
export * from './harness.js';
export {
  httpGetFrom,
  loadLoop,
  type InNamespaceGetOptions,
  type InNamespaceGetResult,
  type LoadLoopOptions,
  type LoadLoopResult,
  type LoadLoopError,
} from './http-client.js';
export { selfSignedCertificate, startHttpsBackend, type TestCertificate } from './https-server.js';
export { parseLabCidr, bareAddress, DEFAULT_LAB_PREFIX, LAB_ADDRESS_RANGE } from './names.js';
export { pathWithSbin, systemTool, type RunOptions, type RunResult } from './command.js';
