import { withBackends, type BackendSet } from '../../../core/backend-set.js';
import { vipCidr } from '../../../core/plan.js';
import { loadBalancerFiles } from '../../../core/render/node-files.js';
import { nodeInterface, writeFiles } from '../../workflow/host-tasks.js';
import type { ClusterContext, ClusterView } from '../../workflow/ports.js';
import type { Phase } from '../../workflow/phase.js';

/**
 * The VIP and the load balancer come up on master0 before `kubeadm init`, so that init can already reach its own
 * apiserver through controlPlaneEndpoint. The first backend set (master0 alone) is published here.
 */
export const loadBalancerPhase: Phase<ClusterContext, ClusterView> = {
  id: 'load-balancer',
  title: 'Load balancer and VIP on the first control-plane node',
  describe: ({ spec, plan }) => ({
    title:
      spec.controlPlaneEndpoint.loadBalancer === 'kube-vip'
        ? 'kube-vip static pod on master0 (super-admin.conf during init)'
        : 'keepalived + haproxy on master0',
    hosts: [plan.initNode.name],
    order: 'single',
    details: [`VIP ${vipCidr(spec)}, virtual_router_id ${plan.virtualRouterId}, priority ${plan.initNode.priority}`],
  }),
  shouldRun: async (ctx) => !(await ctx.cluster.node(ctx.plan.initNode.name))?.joined,
  async run(ctx) {
    const m0 = ctx.plan.initNode;
    const firstBackend = (set: BackendSet) =>
      set.backends.length === 0 ? withBackends(set, [{ name: m0.name, address: m0.address, port: ctx.spec.controlPlaneEndpoint.apiserverPort }]) : set;
    // The files first, with the set they will serve, then the set for every other load balancer.
    const first = firstBackend(await ctx.backends.current());
    await writeFiles(ctx.agents, m0.name, loadBalancerFiles(ctx.plan, m0, nodeInterface(ctx, m0), first, { phase: 'init' }));
    const published = await ctx.backends.update(firstBackend);
    ctx.emit({
      kind: 'progress',
      phase: 'load-balancer',
      host: m0.name,
      message: `${ctx.spec.controlPlaneEndpoint.loadBalancer} files written; backend set v${published.version}`,
    });
  },
};
