import { planCluster } from '../../core/plan.js';
import type { ClusterSpec } from '../../core/spec.js';
import type { DeployEvent } from '../../proto/generated/kubeadm_ha/v1/DeployEvent.js';
import type { CoordinatorRuntime } from '../daemon.js';
import { DEFAULT_TIMEOUTS, type AgentGateway, type DeployContext } from '../deploy/context.js';
import type { PhaseEvent } from '../phases/phase.js';
import type { SessionHub } from '../sessions.js';

export const DEFAULT_JOIN_TOKEN_TTL_MS = 15 * 60_000;

export function agentGateway(hub: SessionHub): AgentGateway {
  return {
    runTask: (agent, kind, args, options) => hub.runTask(agent, kind, args, options),
    waitForAgents: (names, options) => hub.waitForAgents(names, options),
    facts: (agent) => hub.connectedAgents().find((a) => a.name === agent)?.facts ?? undefined,
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

/** A deploy context for `spec` over the coordinator's live pieces. */
export function deployContext(rt: CoordinatorRuntime, spec: ClusterSpec, emit: (e: DeployEvent) => void, registryConfigJson?: string): DeployContext {
  const logger = rt.logger.child({ component: 'deploy' });
  return {
    spec,
    plan: planCluster(spec),
    agents: agentGateway(rt.hub),
    cluster: rt.progress,
    progress: rt.progress,
    backends: rt.backends,
    workerConcurrency: rt.options.workerConcurrency ?? 10,
    timeouts: { ...DEFAULT_TIMEOUTS, ...rt.options.timeouts },
    joinTokenTtlMs: rt.options.joinTokenTtlMs ?? DEFAULT_JOIN_TOKEN_TTL_MS,
    logger,
    emit: (e) => {
      logger.info({ phase: e.phase, host: e.host, kind: e.kind }, e.message);
      emit(toDeployEvent(e));
    },
    ...(registryConfigJson !== undefined ? { registryConfigJson } : {}),
  };
}
