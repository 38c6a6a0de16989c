/**
 * What phases work with, as interfaces: the plan, a way to run typed tasks on agents, the persisted node records,
 * and the backend set. Phases never reach for globals or concrete classes; the daemon wires the real ones
 * (SessionHub, the KV adapters) and tests build a context with fakes.
 */
import type { BackendSet } from '../../core/backend-set.js';
import type { ClusterPlan } from '../../core/plan.js';
import type { ClusterSpec } from '../../core/spec.js';
import type { HostFacts__Output } from '../../proto/generated/kubeadm_ha/v1/HostFacts.js';
import type { TaskArgs, TaskKind, TaskResultOutput } from '../../proto/index.js';
import type { EngineContext } from './phase.js';

export interface RunTaskOptions {
  readonly onProgress?: (line: string) => void;
  /** For tasks that stream bulk output (EtcdSnapshot): each chunk in order; throwing fails and cancels the task. */
  readonly onData?: (chunk: Buffer) => void;
  readonly signal?: AbortSignal;
  /** Also sent to the agent, which stops the task when it passes. 0 or absent: no limit. */
  readonly timeoutMs?: number;
  /** Added to errors that do not carry a phase yet. */
  readonly phase?: string;
}

export interface WaitProgress {
  readonly connected: number;
  readonly total: number;
  readonly missing: readonly string[];
  readonly message: string;
}

/** Runs typed tasks on agents over their sessions (the SessionHub in production). */
export interface AgentGateway {
  runTask<K extends TaskKind>(agent: string, kind: K, args: TaskArgs[K], options?: RunTaskOptions): Promise<TaskResultOutput[K]>;
  waitForAgents(names: readonly string[], options: { timeoutMs?: number; onProgress?: (progress: WaitProgress) => void; signal?: AbortSignal }): Promise<void>;
  /** What a connected agent reported about its host; undefined while it is not connected. */
  facts(agent: string): HostFacts__Output | undefined;
  /** The names of the agents connected right now. */
  connected?(): readonly string[];
  /**
   * The role the agent registered with: its bootstrap token's, lowered by its own hint at most. A control-plane node
   * receives the cluster's CA keys, so it must have registered with a control-plane token.
   */
  registeredRole?(agent: string): Promise<'control-plane' | 'worker' | undefined>;
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

/**
 * The cluster's backend set. It changes only through `update`: a pure transition applied to the stored set with
 * compare-and-set, so two writers never fork the versions and a transition that changes nothing publishes nothing.
 */
export interface BackendSets {
  current(): Promise<BackendSet>;
  /** Applies `transition` to the stored set and publishes the result as the next version; resolves with what is stored. */
  update(transition: (current: BackendSet) => BackendSet): Promise<BackendSet>;
  /** Resolves once every LB agent in `agents` reports having applied at least `version`. */
  waitApplied(version: number, agents: readonly string[], timeoutMs: number): Promise<void>;
}

/**
 * The version of the cluster's backend set that is published right now (0 before the first). The session hub refuses
 * an agent's report of an applied version above it: an agent cannot have applied what was never published, and
 * believing it would hide that its load balancer lags.
 */
export type PublishedLbVersion = () => Promise<number>;

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

/** What every action's phases can describe themselves from: pure, available offline from cluster.yaml. */
export interface ClusterView {
  readonly spec: ClusterSpec;
  readonly plan: ClusterPlan;
  readonly workerConcurrency: number;
}

/** The context of a cluster action: the view, the live pieces, and the engine's needs. */
export interface ClusterContext extends EngineContext, ClusterView {
  readonly agents: AgentGateway;
  readonly cluster: ClusterProgress;
  readonly backends: BackendSets;
  readonly registryConfigJson?: string;
  readonly timeouts: DeployTimeouts;
  /** Control-plane join token lifetime: short, the token is deleted right after the join anyway. */
  readonly joinTokenTtlMs: number;
  /** `--force`: the etcd health gates say what is wrong and go on instead of refusing. */
  readonly force?: boolean;
}
