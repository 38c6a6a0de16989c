/**
 * AdminService.AddNode: the given cluster.yaml must be the stored spec plus (or with an updated entry for) exactly
 * the named node; it becomes the stored spec and the deploy phases reconcile the cluster to it, which joins that one
 * node (a control-plane node strictly alone, with its LB files, then the new backend set for every load balancer).
 * Editing cluster.yaml and running `deploy` does the same; add-node only refuses anything beyond that one node.
 */
import { PreconditionError, SpecError } from '../../core/errors.js';
import { specToObject, type ClusterSpec } from '../../core/spec.js';
import { loadSpec } from '../../core/validate.js';
import type { Operation } from '../admin/operations.js';
import { storedSpec, type CoordinatorRuntime } from '../runtime.js';
import { dryRunPhases, runAction } from '../workflow/engine.js';
import { assertClusterName, clusterContext } from './cluster-context.js';
import { ADD_NODE, DEPLOY } from './deploy.js';

function withoutNode(spec: ClusterSpec, name: string): string {
  return JSON.stringify(specToObject({ ...spec, nodes: spec.nodes.filter((n) => n.name !== name) }));
}

/** The differences add-node refuses: anything but the named node's own entry. */
export function addNodeProblems(stored: ClusterSpec, given: ClusterSpec, name: string): string[] {
  const problems: string[] = [];
  if (!given.nodes.some((n) => n.name === name)) problems.push(`${name} is not in the given cluster.yaml; add it under spec.nodes first`);
  if (withoutNode(stored, name) !== withoutNode(given, name)) {
    const storedNames = stored.nodes.filter((n) => n.name !== name).map((n) => n.name);
    const givenNames = given.nodes.filter((n) => n.name !== name).map((n) => n.name);
    problems.push(
      storedNames.join(',') !== givenNames.join(',')
        ? `the other nodes differ from the deployed spec (deployed: ${storedNames.join(', ')}; given: ${givenNames.join(', ')})`
        : 'settings other than the new node differ from the deployed spec; use `coordinatorctl deploy -f` for those',
    );
  }
  return problems;
}

export async function startAddNode(rt: CoordinatorRuntime, specYaml: string, name: string, options: { dryRun?: boolean } = {}): Promise<Operation> {
  const running = rt.operations.running();
  if (running?.kind === 'add-node' && running.key === name && !specYaml && !options.dryRun) return running;
  const { spec } = loadSpec(specYaml, 'cluster.yaml');
  assertClusterName(spec, rt.clusterName);
  const stored = await storedSpec(rt);
  if (!stored) throw new PreconditionError(`cluster ${rt.clusterName} is not deployed yet; run \`coordinatorctl deploy -f cluster.yaml\` first`);
  const problems = addNodeProblems(stored, spec, name);
  if (problems.length > 0)
    throw new SpecError(
      'cluster.yaml',
      problems.map((message) => ({ path: 'spec.nodes', message })),
    );
  const unjoined = [];
  for (const n of stored.nodes) if (n.name !== name && !(await rt.progress.node(n.name))?.joined) unjoined.push(n.name);
  if (unjoined.length > 0) {
    throw new PreconditionError(
      `${unjoined.join(', ')} of the deployed spec ${unjoined.length === 1 ? 'is' : 'are'} not joined yet; finish that with \`coordinatorctl deploy -f cluster.yaml\` first`,
    );
  }
  const registry = await rt.readRegistryConfig();
  if (options.dryRun) {
    return rt.operations.dryRun('add-node', name, async (emit) => {
      await dryRunPhases(DEPLOY.phases, clusterContext(rt, spec, emit, { ...(registry !== undefined ? { registryConfigJson: registry } : {}) }));
    });
  }
  const op = rt.operations.start('add-node', name, async (emit) => {
    await runAction(ADD_NODE, clusterContext(rt, spec, emit, { ...(registry !== undefined ? { registryConfigJson: registry } : {}) }), spec.name);
    const joined = await rt.progress.node(name);
    emit({ phase: 'summary', message: joined?.joined ? `${name} joined as ${joined.role}` : `${name} is in the spec but not joined`, level: 'LOG_LEVEL_INFO' });
  });
  // The desired state first: a coordinator that restarts mid-join resumes from it with the next deploy.
  await rt.state.spec.put(spec);
  return op;
}
