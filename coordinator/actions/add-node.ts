/**
 * AdminService.AddNode: the given cluster.yaml must be the stored spec plus (or with an updated entry for) exactly
 * the named node; it becomes the stored spec and the deploy phases reconcile the cluster to it, which joins that one
 * node (a control-plane node strictly alone, with its LB files, then the new backend set for every load balancer).
 * Editing cluster.yaml and running `deploy` does the same; add-node only refuses anything beyond that one node.
 */
import { PreconditionError, SpecError } from '../../core/errors.js';
import { sameSpec, specFromObject, specToObject, type ClusterSpec } from '../../core/spec.js';
import { loadSpec } from '../../core/validate.js';
import type { DeployEvent } from '../../proto/generated/kubeadm_ha/v1/DeployEvent.js';
import type { Operation } from '../admin/operations.js';
import { storedSpec, type CoordinatorRuntime } from '../runtime.js';
import type { OperationRecord } from '../state/store.js';
import { dryRunPhases, runAction } from '../workflow/engine.js';
import { assertClusterName, clusterContext } from './cluster-context.js';
import { ADD_NODE, DEPLOY } from './deploy.js';
import { startRecorded, takeTurn } from './operation-record.js';

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

/**
 * The join itself, the same for add-node, `nodes approve`, auto-join and their resume: `spec` (the stored spec plus
 * the node) is stored first, then the deploy phases reconcile the cluster to it. A join started by auto-join or
 * approve that fails takes the node back out of the spec, so that an operator's deploy is not blocked by it.
 */
export async function runAddNode(
  rt: CoordinatorRuntime,
  spec: ClusterSpec,
  name: string,
  emit: (e: DeployEvent) => void,
  options: { autoJoin?: boolean; signal?: AbortSignal; force?: boolean } = {},
): Promise<void> {
  // The desired state first: a coordinator that restarts mid-join resumes from it.
  await rt.state.spec.put(spec);
  const registry = await rt.readRegistryConfig();
  try {
    await runAction(
      ADD_NODE,
      clusterContext(rt, spec, emit, {
        ...(registry !== undefined ? { registryConfigJson: registry } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.force ? { force: true } : {}),
      }),
      spec.name,
    );
  } catch (err) {
    if (options.autoJoin && !options.signal?.aborted && !(await rt.progress.node(name))?.joined) {
      const current = await storedSpec(rt);
      if (current) await rt.state.spec.put({ ...current, nodes: current.nodes.filter((n) => n.name !== name) });
    }
    throw err;
  }
}

/** The spec an add-node record was started with; a record without one (written by hand, say) falls back to the stored spec. */
export async function recordedSpec(rt: CoordinatorRuntime, record: OperationRecord): Promise<ClusterSpec | undefined> {
  return record.spec ? specFromObject(record.spec, `the ${record.kind} record of ${record.key}`) : storedSpec(rt);
}

/**
 * AdminService.AddNode, and the resume of one a restart cut off. The same command while it runs (or waits to resume)
 * follows it when its cluster.yaml is the one it runs with; a different one, or any other operation, is refused.
 */
export async function startAddNode(
  rt: CoordinatorRuntime,
  specYaml: string,
  name: string,
  options: { dryRun?: boolean; signal?: AbortSignal; force?: boolean } = {},
): Promise<Operation> {
  const turn = options.dryRun ? ({ kind: 'fresh' } as const) : await takeTurn(rt, 'add-node', name);
  if (turn.kind !== 'fresh') {
    const record = turn.kind === 'resume' ? turn.record : (await rt.state.operation.get())?.value;
    const running = record?.kind === 'add-node' && record.key === name ? await recordedSpec(rt, record) : undefined;
    if (specYaml) {
      const { spec } = loadSpec(specYaml, 'cluster.yaml');
      if (running && !sameSpec(running, spec)) {
        throw new PreconditionError(
          `an add-node of ${name} is running with a different cluster.yaml; wait for it to finish (coordinatorctl status), then run add-node again with the new file`,
        );
      }
    }
    if (turn.kind === 'attach') return turn.op;
    if (!running) throw new PreconditionError(`the interrupted add-node of ${name} has no spec to resume with; run \`coordinatorctl deploy -f cluster.yaml\``);
    return resumeAddNode(rt, running, name, turn.record.autoJoin === true, options.signal, turn.record.force === true);
  }
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
  if (options.dryRun) {
    const registry = await rt.readRegistryConfig();
    return rt.operations.dryRun('add-node', name, async (emit) => {
      await dryRunPhases(
        DEPLOY.phases,
        clusterContext(rt, spec, emit, { ...(registry !== undefined ? { registryConfigJson: registry } : {}), ...(options.force ? { force: true } : {}) }),
      );
    });
  }
  const force = options.force === true;
  return startRecorded(rt, { kind: 'add-node', key: name, spec, force, ...(options.signal ? { signal: options.signal } : {}) }, async (emit) => {
    await runAddNode(rt, spec, name, emit, { force, ...(options.signal ? { signal: options.signal } : {}) });
    await joinSummary(rt, name, emit);
  });
}

async function joinSummary(rt: CoordinatorRuntime, name: string, emit: (e: DeployEvent) => void): Promise<void> {
  const joined = await rt.progress.node(name);
  emit({ phase: 'summary', message: joined?.joined ? `${name} joined as ${joined.role}` : `${name} is in the spec but not joined`, level: 'LOG_LEVEL_INFO' });
}

/** Runs an add-node a restart cut off again, with the spec it was started with; its checks passed when it started. */
export function resumeAddNode(rt: CoordinatorRuntime, spec: ClusterSpec, name: string, autoJoin: boolean, signal?: AbortSignal, force = false): Operation {
  return startRecorded(rt, { kind: 'add-node', key: name, spec, autoJoin, force, ...(signal ? { signal } : {}) }, async (emit) => {
    emit({ phase: 'resume', host: name, message: `resuming the add-node of ${name} that a coordinator restart cut off`, level: 'LOG_LEVEL_INFO' });
    await runAddNode(rt, spec, name, emit, { autoJoin, force, ...(signal ? { signal } : {}) });
    await joinSummary(rt, name, emit);
  });
}
