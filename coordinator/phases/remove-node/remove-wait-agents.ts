import type { Phase } from '../../workflow/phase.js';
import { hostDone, progress, removalLoadBalancers, type RemoveContext, type RemoveView } from './remove-target.js';

/** The agents the removal still talks to: every joined master's (load balancers, kubectl) and the node's own until it is revoked. */
async function needed(ctx: RemoveContext): Promise<string[]> {
  const names = new Set(await removalLoadBalancers(ctx));
  if (!(await hostDone(ctx))) names.add(ctx.target.name);
  return [...names];
}

async function missing(ctx: RemoveContext): Promise<string[]> {
  const connected = ctx.agents.connected?.();
  if (!connected) return [];
  return (await needed(ctx)).filter((n) => !connected.includes(n));
}

/**
 * A removal that a coordinator restart cut off resumes at once, before the agents have reconnected: the later phases
 * ask the hosts, and a task to an agent that is not connected fails at once. A fresh removal finds them connected
 * (remove-node checks the node's agent before it starts) and skips this.
 */
export const removeWaitAgentsPhase: Phase<RemoveContext, RemoveView> = {
  id: 'remove-wait-agents',
  title: 'Wait for the agents the removal talks to',
  describe: (view) => ({
    hosts: [...new Set([...view.plan.controlPlane.map((n) => n.name), view.target.name])],
    order: 'parallel',
    details: ["the node's agent (until remove-forget revoked it) and every joined control-plane node's, if any is not connected"],
  }),
  shouldRun: async (ctx) => (await missing(ctx)).length > 0,
  async run(ctx) {
    const names = await needed(ctx);
    progress(ctx, this.id, `waiting for ${(await missing(ctx)).join(', ')} to connect`);
    await ctx.agents.waitForAgents(names, { timeoutMs: ctx.timeouts.agentsMs, ...(ctx.signal ? { signal: ctx.signal } : {}) });
    progress(ctx, this.id, `${names.join(', ')} connected`);
  },
};
