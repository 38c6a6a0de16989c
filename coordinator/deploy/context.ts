/**
 * What deploy phases work with: the plan, a way to run typed tasks on agents, the persisted cluster state, and the
 * load-balancer backend publisher. Phases never reach for globals; tests build a context with fakes.
 */
import type { BackendSet } from '../../core/backend-set.js';
import type { ClusterPlan, PlannedNode } from '../../core/plan.js';
import type { ClusterSpec } from '../../core/spec.js';
import type { HostFacts__Output } from '../../proto/generated/kubeadm_ha/v1/HostFacts.js';
import type { TaskArgs, TaskKind, TaskResultOutput } from '../../proto/index.js';
import type { RunTaskOptions, WaitProgress } from '../sessions.js';
import type { EngineContext } from '../phases/engine.js';

export type { RunTaskOptions };

/** Runs typed tasks on agents over their sessions (the SessionHub in production). */
export interface AgentGateway {
  runTask<K extends TaskKind>(agent: string, kind: K, args: TaskArgs[K], options?: RunTaskOptions): Promise<TaskResultOutput[K]>;
  waitForAgents(names: readonly string[], options: { timeoutMs?: number; onProgress?: (progress: WaitProgress) => void; signal?: AbortSignal }): Promise<void>;
  facts(agent: string): HostFacts__Output | undefined;
}

export interface NodeRecord {
  readonly name: string;
  readonly role: 'control-plane' | 'worker';
  readonly joined: boolean;
  readonly joinedAt?: string;
}

/** Per-cluster node records, persisted (JetStream KV in production) so a restarted coordinator resumes. */
export interface ClusterProgress {
  node(name: string): Promise<NodeRecord | undefined>;
  putNode(record: NodeRecord): Promise<void>;
  deleteNode(name: string): Promise<void>;
}

export interface BackendPublisher {
  current(): Promise<BackendSet>;
  /** Publishes `next` (version must be current + 1) and resolves once it is stored. */
  publish(next: BackendSet): Promise<void>;
  /** Resolves once every LB agent in `agents` reports having applied at least `version`. */
  waitApplied(version: number, agents: readonly string[], timeoutMs: number): Promise<void>;
}

export interface DeployTimeouts {
  readonly agentsMs: number;
  readonly preflightMs: number;
  readonly initMs: number;
  readonly joinMs: number;
  readonly apiserverMs: number;
  readonly lbAppliedMs: number;
}

export const DEFAULT_TIMEOUTS: DeployTimeouts = {
  agentsMs: 10 * 60_000,
  preflightMs: 5 * 60_000,
  initMs: 15 * 60_000,
  joinMs: 15 * 60_000,
  apiserverMs: 5 * 60_000,
  lbAppliedMs: 60_000,
};

export interface DeployContext extends EngineContext {
  readonly spec: ClusterSpec;
  readonly plan: ClusterPlan;
  readonly agents: AgentGateway;
  readonly cluster: ClusterProgress;
  readonly backends: BackendPublisher;
  readonly registryConfigJson?: string;
  readonly workerConcurrency: number;
  readonly timeouts: DeployTimeouts;
  /** Control-plane join token lifetime: short, the token is deleted right after the join anyway. */
  readonly joinTokenTtlMs: number;
}

export { KUBEADM_CONFIG_PATH } from '../../core/render/kubeadm-config.js';

/** The nodes among `nodes` that the cluster's records do not show as joined yet, in the given order. */
export async function notJoined(ctx: Pick<DeployContext, 'cluster'>, nodes: readonly PlannedNode[]): Promise<PlannedNode[]> {
  const out: PlannedNode[] = [];
  for (const node of nodes) if (!(await ctx.cluster.node(node.name))?.joined) out.push(node);
  return out;
}

export function nodeInterface(ctx: Pick<DeployContext, 'agents'>, node: PlannedNode): string {
  if (node.interface) return node.interface;
  const facts = ctx.agents.facts(node.name);
  const found = facts?.addresses.find((a) => a.address === node.address)?.interface;
  if (!found) throw new Error(`${node.name}: no interface carries ${node.address}; set spec.nodes[].interface or fix the node address`);
  return found;
}
