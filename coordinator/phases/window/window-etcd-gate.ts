import { assessEtcd } from '../../../core/etcd/health.js';
import { enforceGate, etcdReports, joinedControlPlaneNodes, stackedEtcd } from '../../workflow/etcd.js';
import type { Phase } from '../../workflow/phase.js';
import { onTarget, type WindowContext, type WindowView } from './window-target.js';

/** Before a node's member restarts: etcd must be whole, or the restart could cost quorum. Refuses otherwise (--force goes on). */
export const windowEtcdGatePhase: Phase<WindowContext, WindowView> = {
  id: 'window-etcd-gate',
  title: 'etcd healthy before the node is worked on',
  describe: (view) => onTarget(view, 'every member healthy, one leader, no alarm; or refuse'),
  shouldRun: (ctx) => stackedEtcd(ctx.spec),
  async run(ctx) {
    const nodes = await joinedControlPlaneNodes(ctx);
    enforceGate(
      ctx,
      ctx.outerPhase,
      `work on ${ctx.target.name}`,
      assessEtcd(nodes, await etcdReports(ctx.agents, nodes, this.id, ctx.signal)),
      ctx.target.name,
    );
  },
};
