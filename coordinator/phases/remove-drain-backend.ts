import { drainBackend } from '../../core/backend-set.js';
import { loadBalancerAgents, progress, type RemoveContext } from './remove-context.js';
import type { Phase } from './phase.js';

async function lagging(ctx: RemoveContext): Promise<boolean> {
  const set = await ctx.backends.current();
  return set.backends.some((b) => b.name === ctx.target.name);
}

/**
 * Draining everywhere before removing: haproxy stops sending new connections to the node while established ones
 * (kubectl exec, watches) finish. Every load balancer must have applied it before the backend goes, or one of them
 * could still route a fresh connection to an apiserver that is about to stop.
 */
export const removeDrainBackend: Phase<RemoveContext> = {
  id: 'remove-drain-backend',
  title: "Drain the node's apiserver on every load balancer",
  shouldRun: (ctx) => lagging(ctx),
  async run(ctx) {
    const current = await ctx.backends.current();
    const next = drainBackend(current, ctx.target.name);
    if (next.version !== current.version) {
      await ctx.backends.publish(next);
      progress(ctx, this.id, `backend set v${next.version} published (${ctx.target.name} draining)`);
    }
    const agents = await loadBalancerAgents(ctx);
    await ctx.backends.waitApplied(next.version, agents, ctx.timeouts.lbAppliedMs);
    progress(ctx, this.id, `v${next.version} applied by ${agents.join(', ')}`);
    return next.version === current.version ? 'unchanged' : undefined;
  },
};
