import { runPhases, type EngineResult } from '../phases/engine.js';
import { initFirstControlPlane } from '../phases/init-first-control-plane.js';
import { joinControlPlane } from '../phases/join-control-plane.js';
import { joinWorkers } from '../phases/join-workers.js';
import { loadBalancerFirstNode } from '../phases/load-balancer-first-node.js';
import type { Phase } from '../phases/phase.js';
import { preflightHosts } from '../phases/preflight-hosts.js';
import { prepareHosts } from '../phases/prepare-hosts.js';
import { summary } from '../phases/summary.js';
import { waitForAgents } from '../phases/wait-for-agents.js';
import type { DeployContext } from './context.js';

/** The deploy, in order. Spec validation happens before a context exists: an invalid spec never reaches a phase. */
export const DEPLOY_PHASES: readonly Phase<DeployContext>[] = [
  waitForAgents,
  preflightHosts,
  prepareHosts,
  loadBalancerFirstNode,
  initFirstControlPlane,
  joinControlPlane,
  joinWorkers,
  summary,
];

export const RESUME_HINT = 'Fix the cause, then run `coordinatorctl deploy -f cluster.yaml` again: it resumes where it stopped.';

export function runDeploy(ctx: DeployContext): Promise<EngineResult> {
  return runPhases(DEPLOY_PHASES, ctx, RESUME_HINT);
}
