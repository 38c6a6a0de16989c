import { withBackends } from '../../core/backend-set.js';
import { loadBalancerFiles } from '../../core/render/node-files.js';
import { nodeInterface, type DeployContext } from '../deploy/context.js';
import { writeFiles } from '../deploy/tasks.js';
import type { Phase } from './phase.js';

/**
 * The VIP and the load balancer come up on master0 before `kubeadm init`, so that init can already reach its own
 * apiserver through controlPlaneEndpoint. The first backend set (master0 alone) is published here.
 */
export const loadBalancerFirstNode: Phase<DeployContext> = {
  id: 'load-balancer',
  title: 'Load balancer and VIP on the first control-plane node',
  shouldRun: async (ctx) => !(await ctx.cluster.node(ctx.plan.initNode.name))?.joined,
  async run(ctx) {
    const m0 = ctx.plan.initNode;
    const current = await ctx.backends.current();
    const first =
      current.backends.length === 0
        ? withBackends(current, [{ name: m0.name, address: m0.address, port: ctx.spec.controlPlaneEndpoint.apiserverPort }])
        : current;
    await writeFiles(ctx.agents, m0.name, loadBalancerFiles(ctx.plan, m0, nodeInterface(ctx, m0), first, { phase: 'init' }));
    if (first.version !== current.version) await ctx.backends.publish(first);
    ctx.emit({ kind: 'progress', phase: 'load-balancer', host: m0.name, message: `${ctx.spec.controlPlaneEndpoint.loadBalancer} files written; backend set v${first.version}` });
  },
};
