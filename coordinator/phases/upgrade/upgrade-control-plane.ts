import { runWindow } from '../../workflow/maintenance-window.js';
import { releaseVip } from '../../workflow/vip-move.js';
import type { Phase } from '../../workflow/phase.js';
import { upgradeNodeWork } from './upgrade-node-work.js';
import { nodeDone, type UpgradeContext, type UpgradeView } from './upgrade-target.js';

/** The control-plane nodes, one at a time, each inside the maintenance window: apply on the first, node elsewhere. */
export const upgradeControlPlanePhase: Phase<UpgradeContext, UpgradeView> = {
  id: 'upgrade-control-plane',
  title: 'Upgrade each control-plane node inside the maintenance window, one at a time',
  describe: (view) => ({
    hosts: view.plan.controlPlane.map((n) => n.name),
    order: 'sequential',
    details: [
      `${view.plan.controlPlane[0]!.name}: kubeadm ${view.target}, kubeadm upgrade apply ${view.target}; the others: kubeadm upgrade node`,
      'each: drained from every haproxy first; kubectl drain, kubelet and kubectl upgraded, kubelet restarted, uncordon; back in service',
    ],
  }),
  shouldRun: () => true,
  async run(ctx) {
    for (const [i, target] of ctx.plan.controlPlane.entries()) {
      ctx.signal?.throwIfAborted();
      const active = (await ctx.backends.current()).backends.find((b) => b.name === target.name)?.state === 'active';
      if (active && (await nodeDone(ctx, target.name))) {
        // As for a renewal: a kill between the restore and the VIP's release is undone here (harmless otherwise).
        await releaseVip(ctx, target.name);
        continue;
      }
      ctx.emit({ kind: 'progress', phase: this.id, host: target.name, message: 'maintenance window opens' });
      await runWindow({ ...ctx, target, work: upgradeNodeWork(ctx, i === 0), windowTimeouts: ctx.windowTimeouts, outerPhase: this.id });
      ctx.emit({ kind: 'progress', phase: this.id, host: target.name, message: `maintenance window closed: back in service, running ${ctx.target}` });
    }
  },
};
