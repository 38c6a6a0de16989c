import { KubeadmHaError } from '../../../core/errors.js';
import type { Phase } from '../../workflow/phase.js';
import { versionsOf, type UpgradeContext, type UpgradeView } from './upgrade-target.js';

/** Every node runs the target (kubeadm and kubelet), every backend is active; then the stored spec says the target. */
export const upgradeVerifyPhase: Phase<UpgradeContext, UpgradeView> = {
  id: 'upgrade-verify',
  title: 'Verify: every node runs the target, every backend active; record the new version in the stored spec',
  describe: (view) => ({ hosts: view.spec.nodes.map((n) => n.name), order: 'parallel', details: [] }),
  shouldRun: () => true,
  async run(ctx) {
    const problems: string[] = [];
    for (const n of ctx.spec.nodes) {
      const v = await versionsOf(ctx, n.name);
      if (v.kubeadm !== ctx.target || v.kubelet !== ctx.target) problems.push(`${n.name} runs kubeadm ${v.kubeadm || '?'}, kubelet ${v.kubelet || '?'}`);
    }
    const draining = (await ctx.backends.current()).backends.filter((b) => b.state !== 'active').map((b) => b.name);
    if (draining.length > 0) problems.push(`backends still draining: ${draining.join(', ')}`);
    if (problems.length > 0) throw new KubeadmHaError(`after the upgrade to ${ctx.target}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    ctx.emit({ kind: 'progress', phase: this.id, message: `every node runs ${ctx.target}; every backend active` });
  },
};
