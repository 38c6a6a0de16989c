import { drainBackend } from '../../../core/backend-set.js';
import type { Phase } from '../../workflow/phase.js';
import { progress, removalLoadBalancers, type RemoveContext, type RemoveView } from './remove-target.js';

async function lagging(ctx: RemoveContext): Promise<boolean> {
  const set = await ctx.backends.current();
  return set.backends.some((b) => b.name === ctx.target.name);
}

/**
 * Draining everywhere before removing: haproxy stops sending new connections to the node while established ones
 * (kubectl exec, watches) finish. Every load balancer must have applied it before the backend goes, or one of them
 * could still route a fresh connection to an apiserver that is about to stop.
 */
export const removeDrainBackendPhase: Phase<RemoveContext, RemoveView> = {
  id: 'remove-drain-backend',
  title: "Drain the node's apiserver on every load balancer",
  describe: (view) => ({
    hosts: view.plan.controlPlane.map((n) => n.name),
    order: 'parallel',
    details: [`${view.target.name} draining in the backend set; wait until every load balancer applied it`],
  }),
  shouldRun: (ctx) => lagging(ctx),
  async run(ctx) {
    const before = await ctx.backends.current();
    const next = await ctx.backends.update((set) => drainBackend(set, ctx.target.name));
    if (next.version !== before.version) progress(ctx, this.id, `backend set v${next.version} published (${ctx.target.name} draining)`);
    const agents = await removalLoadBalancers(ctx);
    await ctx.backends.waitApplied(next.version, agents, ctx.timeouts.lbAppliedMs);
    progress(ctx, this.id, `v${next.version} applied by ${agents.join(', ')}`);
    return next.version === before.version ? 'unchanged' : undefined;
  },
};
