import { removeBackend } from '../../core/backend-set.js';
import { loadBalancerAgents, progress, type RemoveContext } from './remove-context.js';
import type { Phase } from './phase.js';

/** Whether the backend is still published, or some load balancer has not applied the set without it yet. */
async function pending(ctx: RemoveContext): Promise<boolean> {
  const set = await ctx.backends.current();
  if (set.backends.some((b) => b.name === ctx.target.name)) return true;
  if (ctx.target.role !== 'control-plane') return false;
  const agents = await loadBalancerAgents(ctx);
  return ctx.backends.waitApplied(set.version, agents, 0).then(
    () => false,
    () => true,
  );
}

/** The backend leaves the set; each agent deletes the server once its sessions ended (or its drain timeout passed). */
export const removeBackendPhase: Phase<RemoveContext> = {
  id: 'remove-backend',
  title: 'Remove the node from the load-balancer backend set',
  shouldRun: (ctx) => pending(ctx),
  async run(ctx) {
    const current = await ctx.backends.current();
    const next = removeBackend(current, ctx.target.name);
    if (next.version !== current.version) {
      await ctx.backends.publish(next);
      progress(ctx, this.id, `backend set v${next.version} published (${next.backends.map((b) => b.name).join(', ') || 'no backends'})`);
    }
    const agents = await loadBalancerAgents(ctx);
    await ctx.backends.waitApplied(next.version, agents, ctx.timeouts.lbAppliedMs);
    progress(ctx, this.id, `v${next.version} applied by ${agents.join(', ')}`);
  },
};
