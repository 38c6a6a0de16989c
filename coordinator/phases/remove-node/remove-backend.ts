import { removeBackend } from '../../../core/backend-set.js';
import type { Phase } from '../../workflow/phase.js';
import { progress, removalLoadBalancers, type RemoveContext, type RemoveView } from './remove-target.js';

/** Whether the backend is still published, or some load balancer has not applied the set without it yet. */
async function pending(ctx: RemoveContext): Promise<boolean> {
  const set = await ctx.backends.current();
  if (set.backends.some((b) => b.name === ctx.target.name)) return true;
  if (ctx.target.role !== 'control-plane') return false;
  const agents = await removalLoadBalancers(ctx);
  return ctx.backends.waitApplied(set.version, agents, 0).then(
    () => false,
    () => true,
  );
}

/** The backend leaves the set; each agent deletes the server once its sessions ended (or its drain timeout passed). */
export const removeBackendPhase: Phase<RemoveContext, RemoveView> = {
  id: 'remove-backend',
  title: 'Remove the node from the load-balancer backend set',
  describe: (view) => ({
    hosts: view.plan.controlPlane.filter((n) => n.name !== view.target.name).map((n) => n.name),
    order: 'parallel',
    details: [`backend set without ${view.target.name}; wait until every load balancer applied it`],
  }),
  shouldRun: (ctx) => pending(ctx),
  async run(ctx) {
    const before = await ctx.backends.current();
    const next = await ctx.backends.update((set) => removeBackend(set, ctx.target.name));
    if (next.version !== before.version) {
      progress(ctx, this.id, `backend set v${next.version} published (${next.backends.map((b) => b.name).join(', ') || 'no backends'})`);
    }
    const agents = await removalLoadBalancers(ctx);
    await ctx.backends.waitApplied(next.version, agents, ctx.timeouts.lbAppliedMs);
    progress(ctx, this.id, `v${next.version} applied by ${agents.join(', ')}`);
  },
};
