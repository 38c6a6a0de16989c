import type { EngineResult } from './engine.js';
import { runPhases } from './engine.js';
import type { Phase } from './phase.js';
import { removeBackendPhase } from './remove-backend.js';
import type { RemoveContext } from './remove-context.js';
import { removeDrainBackend } from './remove-drain-backend.js';
import { removeForget } from './remove-forget.js';
import { removeKubeadmReset } from './remove-kubeadm-reset.js';
import { removeKubectlDrain } from './remove-kubectl-drain.js';
import { removeLoadBalancer } from './remove-load-balancer.js';
import { removeMoveVip } from './remove-move-vip.js';
import { removeVerify } from './remove-verify.js';
import { removeVipPhase } from './remove-vip.js';

/**
 * The removal, in DESIGN.md's order with the VIP moved first: traffic leaves the node (VIP, drain, backend) before
 * Kubernetes does (kubectl, kubeadm reset), and the host is cleaned and verified last.
 */
export const REMOVE_PHASES: readonly Phase<RemoveContext>[] = [
  removeMoveVip,
  removeDrainBackend,
  removeBackendPhase,
  removeKubectlDrain,
  removeKubeadmReset,
  removeLoadBalancer,
  removeVipPhase,
  removeVerify,
  removeForget,
];

export const REMOVE_RESUME_HINT = 'Fix the cause, then run `coordinatorctl remove-node NAME` again: it continues where it stopped.';

export function runRemoveNode(ctx: RemoveContext): Promise<EngineResult> {
  return runPhases(REMOVE_PHASES, ctx, REMOVE_RESUME_HINT);
}
