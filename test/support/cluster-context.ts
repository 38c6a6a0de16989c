/**
 * A ClusterContext for phase tests: the real plan of the given spec, quiet logging and progress, and the defaults of
 * the daemon, with whatever the test fakes (agents, node records, backend set, events) passed in.
 */
import { emptyBackendSet, withBackends, type BackendSet } from '../../core/backend-set.js';
import { planCluster } from '../../core/plan.js';
import type { ClusterSpec } from '../../core/spec.js';
import { silentLogger } from '../../lib/log.js';
import { UNRECORDED } from '../../coordinator/workflow/phase.js';
import {
  DEFAULT_TIMEOUTS,
  type AgentGateway,
  type BackendSets,
  type ClusterContext,
  type ClusterProgress,
  type NodeRecord,
} from '../../coordinator/workflow/ports.js';

/** A backend set kept in memory, changed through `update` as the KV store does (one version per change). */
export function memoryBackendSets(initial: BackendSet): BackendSets & { readonly stored: () => BackendSet } {
  let set = initial;
  return {
    current: async () => set,
    update: async (transition) => (set = withBackends(set, transition(set).backends)),
    waitApplied: async () => undefined,
    stored: () => set,
  };
}

/** Node records kept in `records`, as the KV store keeps them. */
export function memoryNodeRecords(records: Map<string, NodeRecord>): ClusterProgress {
  return {
    node: async (name) => records.get(name),
    putNode: async (record) => void records.set(record.name, record),
    deleteNode: async (name) => void records.delete(name),
  };
}

export function fakeClusterContext(spec: ClusterSpec, agents: AgentGateway, overrides: Partial<ClusterContext> = {}): ClusterContext {
  return {
    spec,
    plan: planCluster(spec),
    agents,
    cluster: { node: async () => undefined, putNode: async () => undefined, deleteNode: async () => undefined },
    progress: UNRECORDED,
    backends: memoryBackendSets(emptyBackendSet(spec.name)),
    workerConcurrency: 10,
    timeouts: DEFAULT_TIMEOUTS,
    joinTokenTtlMs: 900_000,
    logger: silentLogger,
    emit: () => undefined,
    ...overrides,
  };
}
