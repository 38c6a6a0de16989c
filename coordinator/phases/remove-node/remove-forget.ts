import type { Phase } from '../../workflow/phase.js';
import { onTarget, progress, type RemoveContext, type RemoveView } from './remove-target.js';

/**
 * The node leaves the coordinator's desired state and its trust: its node record and its entry in the stored spec go,
 * and its agent is revoked (registry record and certificate, NATS user and live connections, session), with a
 * tombstone so that the agent cannot register the name again with the token it came with. Adding the host back takes
 * a new bootstrap token: a removed host is not trusted by default.
 */
export const removeForgetPhase: Phase<RemoveContext, RemoveView> = {
  id: 'remove-forget',
  title: 'Forget the node in the stored spec and node records, and revoke its agent',
  describe: (view) => ({ ...onTarget(view), order: 'none', details: ['its agent is revoked: a new bootstrap token brings the host back'] }),
  shouldRun: () => true,
  async run(ctx) {
    // Revoked first: should forgetting fail after it, a re-run still finds the node in the spec and finishes.
    await ctx.revokeAgent();
    await ctx.cluster.deleteNode(ctx.target.name);
    await ctx.forgetInSpec();
    progress(ctx, this.id, `${ctx.target.name} removed from the stored spec; its agent is revoked`);
  },
};
