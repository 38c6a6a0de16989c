import { existingPaths, stopLoadBalancerAndWait, writeFiles } from '../../workflow/host-tasks.js';
import type { Phase } from '../../workflow/phase.js';
import { hostDone, onTarget, progress, targetPaths, type RemoveContext, type RemoveView } from './remove-target.js';

/**
 * keepalived and haproxy stop (static pods moved aside and gone from the container runtime, or the units stopped),
 * then every file of ours goes.
 */
export const removeLoadBalancerPhase: Phase<RemoveContext, RemoveView> = {
  id: 'remove-load-balancer',
  title: 'Stop keepalived and haproxy on the node and remove their files',
  describe: (view) =>
    onTarget(view, 'stop keepalived and haproxy (or kube-vip) and wait until the container runtime runs none of them', 'remove every file of ours'),
  shouldRun: async (ctx) =>
    !(await hostDone(ctx)) && (ctx.alwaysStopLoadBalancer === true || (await existingPaths(ctx.agents, ctx.target.name, targetPaths(ctx))).length > 0),
  async run(ctx) {
    const node = ctx.target.name;
    await stopLoadBalancerAndWait(ctx.agents, node, ctx.spec, ctx.removeTimeouts.lbStopMs, (l) => progress(ctx, this.id, l));
    const result = await writeFiles(ctx.agents, node, [], targetPaths(ctx));
    for (const path of result.changedPaths) progress(ctx, this.id, `removed ${path}`);
  },
};
