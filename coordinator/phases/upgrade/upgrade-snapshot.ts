import { stackedEtcd } from '../../workflow/etcd.js';
import type { Phase } from '../../workflow/phase.js';
import { nodeDone, type UpgradeContext, type UpgradeView } from './upgrade-target.js';

/** A fresh, checked etcd snapshot before the first control-plane node, unless the control plane is already done. */
export const upgradeSnapshotPhase: Phase<UpgradeContext, UpgradeView> = {
  id: 'upgrade-snapshot',
  title: 'Take an etcd snapshot before the first control-plane node',
  describe: () => ({ hosts: [], order: 'none', details: ['coordinatorctl etcd snapshot, kept with the others'] }),
  shouldRun: async (ctx) => stackedEtcd(ctx.spec) && !(await nodeDone(ctx, ctx.plan.controlPlane[0]!.name)),
  async run(ctx) {
    ctx.emit({ kind: 'progress', phase: this.id, message: `etcd snapshot ${await ctx.takeSnapshot()}` });
  },
};
