import { forEachHost } from '../../workflow/for-each-host.js';
import type { Phase } from '../../workflow/phase.js';
import { upgradeNode } from './upgrade-node-work.js';
import { nodeDone, type UpgradeContext, type UpgradeView } from './upgrade-target.js';

/** Workers in bounded batches, never more than `workerBatch` at once: kubeadm upgrade node, drain, kubelet, uncordon. */
export const upgradeWorkersPhase: Phase<UpgradeContext, UpgradeView> = {
  id: 'upgrade-workers',
  title: 'Upgrade the workers in bounded batches',
  describe: (view) => ({
    hosts: view.plan.workers.map((n) => n.name),
    order: 'parallel',
    title: `Upgrade the workers, at most ${view.workerBatch} at once`,
    details: [`kubeadm ${view.target}, kubeadm upgrade node, drain, kubelet and kubectl ${view.target}, restart, uncordon`],
  }),
  shouldRun: () => true,
  async run(ctx) {
    const left = [];
    for (const w of ctx.plan.workers) if (!(await nodeDone(ctx, w.name))) left.push(w);
    if (left.length === 0) return 'unchanged';
    await forEachHost(left, { limit: ctx.workerBatch, phase: this.id, ...(ctx.signal ? { signal: ctx.signal } : {}) }, (w) =>
      upgradeNode(ctx, w.name, ctx, false, (message) => ctx.emit({ kind: 'progress', phase: this.id, host: w.name, message })),
    );
  },
};
