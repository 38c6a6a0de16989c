import { existingPaths, KUBEADM_TRACES } from '../../workflow/host-tasks.js';
import type { Phase } from '../../workflow/phase.js';
import { hostDone, onTarget, progress, type RemoveContext, type RemoveView } from './remove-target.js';

/** `kubeadm reset -f` on the node: on a control-plane node it removes its etcd member first. */
export const removeKubeadmResetPhase: Phase<RemoveContext, RemoveView> = {
  id: 'remove-kubeadm-reset',
  title: 'kubeadm reset -f on the node',
  describe: (view) => onTarget(view, view.target.role === 'control-plane' ? 'kubeadm reset -f (removes its etcd member)' : 'kubeadm reset -f'),
  shouldRun: async (ctx) => !(await hostDone(ctx)) && (await existingPaths(ctx.agents, ctx.target.name, KUBEADM_TRACES)).length > 0,
  async run(ctx) {
    await ctx.agents.runTask(ctx.target.name, 'kubeadmReset', {}, { timeoutMs: ctx.timeouts.joinMs, onProgress: (l) => progress(ctx, this.id, l) });
  },
};
