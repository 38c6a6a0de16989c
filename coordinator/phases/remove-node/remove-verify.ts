import { KubeadmHaError } from '../../../core/errors.js';
import type { Phase } from '../../workflow/phase.js';
import { hostDone, onTarget, progress, targetPaths, type RemoveContext, type RemoveView } from './remove-target.js';

/** Proof, from the host itself, that none of our files, no VIP and no handover hold are left; anything left fails with the list. */
export const removeVerifyPhase: Phase<RemoveContext, RemoveView> = {
  id: 'remove-verify',
  title: 'Verify that nothing of ours is left on the node',
  describe: (view) => onTarget(view, 'none of our files, no VIP and no handover hold left, or the list of what is'),
  // Once remove-forget revoked the agent, this proof was already made: it runs only after this phase passed.
  shouldRun: async (ctx) => !(await hostDone(ctx)),
  async run(ctx) {
    const result = await ctx.agents.runTask(ctx.target.name, 'verifyClean', {
      paths: [...targetPaths(ctx)],
      vip: ctx.spec.controlPlaneEndpoint.vip,
      firewallHold: true,
    });
    if (result.leftovers.length > 0) {
      throw new KubeadmHaError(`${ctx.target.name} is not clean:\n${result.leftovers.map((l) => `  ${l.kind}: ${l.detail}`).join('\n')}`, {
        host: ctx.target.name,
      });
    }
    progress(ctx, this.id, 'clean: no load-balancer or kubeadm-ha files, no VIP');
  },
};
