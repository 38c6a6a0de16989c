import { KubeadmHaError } from '../../core/errors.js';
import { progress, removalPaths, type RemoveContext } from './remove-context.js';
import type { Phase } from './phase.js';

/** Proof, from the host itself, that none of our files, no VIP and no handover hold are left; anything left fails with the list. */
export const removeVerify: Phase<RemoveContext> = {
  id: 'remove-verify',
  title: 'Verify that nothing of ours is left on the node',
  shouldRun: () => true,
  async run(ctx) {
    const result = await ctx.agents.runTask(ctx.target.name, 'verifyClean', { paths: removalPaths(ctx), vip: ctx.spec.controlPlaneEndpoint.vip, firewallHold: true });
    if (result.leftovers.length > 0) {
      throw new KubeadmHaError(`${ctx.target.name} is not clean:\n${result.leftovers.map((l) => `  ${l.kind}: ${l.detail}`).join('\n')}`, { host: ctx.target.name });
    }
    progress(ctx, this.id, 'clean: no load-balancer or kubeadm-ha files, no VIP');
  },
};
