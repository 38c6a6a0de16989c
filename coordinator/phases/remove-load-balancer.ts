import { existingPaths, stopLoadBalancerAndWait, writeFiles } from '../deploy/tasks.js';
import { progress, removalPaths, type RemoveContext } from './remove-context.js';
import type { Phase } from './phase.js';

/**
 * keepalived and haproxy stop (static pods moved aside and gone from the container runtime, or the units stopped),
 * then every file of ours goes.
 */
export const removeLoadBalancer: Phase<RemoveContext> = {
  id: 'remove-load-balancer',
  title: 'Stop keepalived and haproxy on the node and remove their files',
  shouldRun: async (ctx) => (await existingPaths(ctx.agents, ctx.target.name, removalPaths(ctx))).length > 0,
  async run(ctx) {
    const node = ctx.target.name;
    await stopLoadBalancerAndWait(ctx.agents, node, ctx.spec, ctx.removeTimeouts.lbStopMs, (l) => progress(ctx, this.id, l));
    const result = await writeFiles(ctx.agents, node, [], removalPaths(ctx));
    for (const path of result.changedPaths) progress(ctx, this.id, `removed ${path}`);
  },
};
