import type { Phase } from '../../workflow/phase.js';
import { onTarget, progress, type RemoveContext, type RemoveView } from './remove-target.js';

/**
 * The node leaves the coordinator's desired state: its node record and its entry in the stored spec. Its agent stays
 * registered (certificate and NATS read access), so the same host can be added back with add-node without a new
 * bootstrap token; `coordinatorctl` tells the operator that a later deploy of the old cluster.yaml would re-add it.
 */
export const removeForgetPhase: Phase<RemoveContext, RemoveView> = {
  id: 'remove-forget',
  title: 'Forget the node in the stored spec and node records',
  describe: (view) => ({ ...onTarget(view), order: 'none' }),
  shouldRun: () => true,
  async run(ctx) {
    await ctx.cluster.deleteNode(ctx.target.name);
    await ctx.forgetInSpec();
    progress(ctx, this.id, `${ctx.target.name} removed from the stored spec; its agent stays registered`);
  },
};
