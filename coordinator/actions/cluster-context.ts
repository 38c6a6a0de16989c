/**
 * Builds the context an action's phases run with, from the coordinator's live pieces and one spec: the plan, the
 * agent gateway, the node records, and the backend set (whose every change also carries the load-balancer
 * configuration of that spec, so agents render haproxy.cfg from the set alone).
 */
import { SpecError } from '../../core/errors.js';
import { withLoadBalancerConfig } from '../../core/backend-set.js';
import { loadBalancerConfig } from '../../core/render/haproxy.js';
import { DEFAULT_WORKER_CONCURRENCY, planCluster, type ClusterPlan } from '../../core/plan.js';
import type { ClusterSpec } from '../../core/spec.js';
import { clusterNameProblem } from '../../core/validate.js';
import type { DeployEvent } from '../../proto/generated/kubeadm_ha/v1/DeployEvent.js';
import type { AgentHub, CoordinatorRuntime } from '../runtime.js';
import type { PhaseEvent } from '../workflow/phase.js';
import { DEFAULT_TIMEOUTS, type AgentGateway, type BackendSets, type ClusterContext } from '../workflow/ports.js';

/** A cluster.yaml for another cluster is refused before anything is stored: a coordinator manages one cluster. */
export function assertClusterName(spec: ClusterSpec, clusterName: string): void {
  const problem = clusterNameProblem(spec, clusterName);
  if (problem) throw new SpecError('cluster.yaml', [problem]);
}

export const DEFAULT_JOIN_TOKEN_TTL_MS = 15 * 60_000;

export function agentGateway(hub: AgentHub): AgentGateway {
  return {
    runTask: (agent, kind, args, options) => hub.runTask(agent, kind, args, options),
    waitForAgents: (names, options) => hub.waitForAgents(names, options),
    facts: (agent) => hub.connectedAgents().find((a) => a.name === agent)?.facts ?? undefined,
    connected: () => hub.connectedAgents().map((a) => a.name),
  };
}

export function toDeployEvent(e: PhaseEvent): DeployEvent {
  return {
    phase: e.phase,
    host: e.host ?? '',
    message: e.message,
    level: e.kind === 'phase-failed' ? 'LOG_LEVEL_ERROR' : e.message.startsWith('warning:') ? 'LOG_LEVEL_WARN' : 'LOG_LEVEL_INFO',
  };
}

/** The backend set as a spec's actions change it: every published version carries that spec's LB configuration. */
export function backendSetsFor(sets: BackendSets, plan: ClusterPlan): BackendSets {
  const config = loadBalancerConfig(plan);
  return {
    current: () => sets.current(),
    update: (transition) => sets.update((set) => withLoadBalancerConfig(transition(set), config)),
    waitApplied: (version, agents, timeoutMs) => sets.waitApplied(version, agents, timeoutMs),
  };
}

/** A context for `spec` over the coordinator's live pieces. */
export function clusterContext(
  rt: CoordinatorRuntime,
  spec: ClusterSpec,
  emit: (e: DeployEvent) => void,
  options: { registryConfigJson?: string; signal?: AbortSignal; component?: string; force?: boolean } = {},
): ClusterContext {
  const logger = rt.logger.child({ component: options.component ?? 'deploy' });
  const plan = planCluster(spec);
  return {
    spec,
    plan,
    agents: {
      ...agentGateway(rt.hub),
      registeredRole: async (agent) => {
        const role = (await rt.state.agents.get(agent))?.value.roleHint;
        return role === 'control-plane' ? 'control-plane' : role === 'worker' ? 'worker' : undefined;
      },
    },
    cluster: rt.progress,
    progress: rt.progress,
    backends: backendSetsFor(rt.backends, plan),
    workerConcurrency: rt.settings.workerConcurrency ?? DEFAULT_WORKER_CONCURRENCY,
    timeouts: { ...DEFAULT_TIMEOUTS, ...rt.settings.timeouts },
    joinTokenTtlMs: rt.settings.joinTokenTtlMs ?? DEFAULT_JOIN_TOKEN_TTL_MS,
    logger,
    emit: (e) => {
      logger.info({ phase: e.phase, host: e.host, kind: e.kind }, e.message);
      emit(toDeployEvent(e));
    },
    ...(options.registryConfigJson !== undefined ? { registryConfigJson: options.registryConfigJson } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.force ? { force: true } : {}),
  };
}
