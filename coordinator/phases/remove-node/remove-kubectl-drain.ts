import { KubeadmHaError } from '../../../core/errors.js';
import { ownApiserverUrl, type PlannedNode } from '../../../core/plan.js';
import { joinedControlPlane } from '../../workflow/host-tasks.js';
import type { Phase } from '../../workflow/phase.js';
import { progress, type RemoveContext, type RemoveView } from './remove-target.js';

/** A joined control-plane node other than the one leaving, whose admin.conf runs kubectl. */
export async function remainingControlPlane(ctx: RemoveContext): Promise<PlannedNode> {
  const runner = await joinedControlPlane(ctx, ctx.target.name);
  if (runner) return runner;
  throw new KubeadmHaError(`no other joined control-plane node can run kubectl for the removal of ${ctx.target.name}`, { host: ctx.target.name });
}

/** `kubectl drain` then `delete node`, through a remaining master; a Node already gone is fine (the task says so). */
export const removeKubectlDrainPhase: Phase<RemoveContext, RemoveView> = {
  id: 'remove-kubectl-drain',
  title: 'kubectl drain and delete node',
  describe: (view) => ({
    hosts: [view.target.name],
    order: 'single',
    details: [`kubectl drain ${view.target.name} && kubectl delete node ${view.target.name}, through another joined control-plane node`],
  }),
  shouldRun: () => true,
  async run(ctx) {
    const runner = await remainingControlPlane(ctx);
    progress(ctx, this.id, `kubectl drain ${ctx.target.name} && kubectl delete node ${ctx.target.name}`, runner.name);
    await ctx.agents.runTask(
      runner.name,
      'kubectlDrainDelete',
      { nodeName: ctx.target.name, timeoutSeconds: Math.ceil(ctx.removeTimeouts.kubectlDrainMs / 1000), server: ownApiserverUrl(ctx.spec, runner) },
      { timeoutMs: ctx.removeTimeouts.kubectlDrainMs + 30_000, onProgress: (l) => progress(ctx, this.id, l, runner.name) },
    );
  },
};
