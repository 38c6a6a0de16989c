import { KubeadmHaError } from '../../core/errors.js';
import type { PlannedNode } from '../../core/plan.js';
import { progress, type RemoveContext } from './remove-context.js';
import type { Phase } from './phase.js';

/** A joined control-plane node other than the one leaving, whose admin.conf runs kubectl. */
export async function remainingControlPlane(ctx: RemoveContext): Promise<PlannedNode> {
  for (const node of ctx.plan.controlPlane) {
    if (node.name === ctx.target.name) continue;
    if ((await ctx.cluster.node(node.name))?.joined) return node;
  }
  throw new KubeadmHaError(`no other joined control-plane node can run kubectl for the removal of ${ctx.target.name}`, { host: ctx.target.name });
}

/** `kubectl drain` then `delete node`, through a remaining master; a Node already gone is fine (the task says so). */
export const removeKubectlDrain: Phase<RemoveContext> = {
  id: 'remove-kubectl-drain',
  title: 'kubectl drain and delete node',
  shouldRun: () => true,
  async run(ctx) {
    const runner = await remainingControlPlane(ctx);
    progress(ctx, this.id, `kubectl drain ${ctx.target.name} && kubectl delete node ${ctx.target.name}`, runner.name);
    await ctx.agents.runTask(
      runner.name,
      'kubectlDrainDelete',
      { nodeName: ctx.target.name, timeoutSeconds: Math.ceil(ctx.removeTimeouts.kubectlDrainMs / 1000) },
      { timeoutMs: ctx.removeTimeouts.kubectlDrainMs + 30_000, onProgress: (l) => progress(ctx, this.id, l, runner.name) },
    );
  },
};
