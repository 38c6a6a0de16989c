/**
 * Module boundaries of kubeadm-ha, checked by `npm run lint`:
 *   npx depcruise --config .dependency-cruiser.cjs lib core agent coordinator proto test packaging
 * Paths are relative to the repository root. Unit tests (`*.test.ts` beside the code) are in the graph, so they count
 * for cycles, but they may import the test/ support code.
 */
const SHIPPED = '^(lib|core|agent|coordinator|proto)/';
const TEST_FILE = '\\.test\\.ts$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles, type-only imports included (tsPreCompilationDeps).',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-is-self-contained',
      severity: 'error',
      comment: 'core/ is the pure library: it imports only core/, node builtins and npm packages.',
      from: { path: '^core/', pathNot: TEST_FILE },
      to: { path: '^(lib|agent|coordinator|proto|test|packaging|scripts)/' },
    },
    {
      name: 'core-tests-use-core-and-test-support',
      severity: 'error',
      comment:
        "core/'s unit tests import core/ and the test/ support code, and nothing else of ours; the generators in scripts/ are allowed, so a test can check that generated code is fresh.",
      from: { path: `^core/.+${TEST_FILE}` },
      to: { path: '^(lib|agent|coordinator|proto|packaging)/' },
    },
    {
      name: 'agent-not-to-coordinator',
      severity: 'error',
      comment: 'The agent and the coordinator are separate programs; what both need lives in lib/, core/ or proto/.',
      from: { path: '^agent/' },
      to: { path: '^coordinator/' },
    },
    {
      name: 'coordinator-not-to-agent',
      severity: 'error',
      comment: 'The agent and the coordinator are separate programs; what both need lives in lib/, core/ or proto/.',
      from: { path: '^coordinator/' },
      to: { path: '^agent/' },
    },
    {
      name: 'lib-not-to-programs',
      severity: 'error',
      comment: 'lib/ is shared by both programs, so it imports neither.',
      from: { path: '^lib/' },
      to: { path: '^(agent|coordinator)/' },
    },
    {
      name: 'shipped-not-to-test',
      severity: 'error',
      comment: 'Shipped code never imports test/; unit tests beside the code may.',
      from: { path: SHIPPED, pathNot: TEST_FILE },
      to: { path: '^test/' },
    },
    {
      name: 'shipped-not-to-dev-dependencies',
      severity: 'error',
      comment: 'Shipped code imports only dependencies, not devDependencies (type-only imports are erased, so they may).',
      from: { path: SHIPPED, pathNot: TEST_FILE },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that does not resolve would drop out of the graph and hide the rules above.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^dist/' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
