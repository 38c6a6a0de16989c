import type { Phase } from '../../workflow/phase.js';
import { nodeDone, versionsOf, type UpgradeContext, type UpgradeView } from './upgrade-target.js';

/**
 * kubeadm at the target on the first control-plane node (a CLI: nothing running changes), then `kubeadm upgrade plan
 * TARGET` there must succeed: kubeadm's own checks, before any node is drained.
 */
export const upgradePlanPhase: Phase<UpgradeContext, UpgradeView> = {
  id: 'upgrade-plan',
  title: 'kubeadm at the target on the first control-plane node; kubeadm upgrade plan must succeed',
  describe: (view) => ({ hosts: [view.plan.controlPlane[0]!.name], order: 'single', details: [`kubeadm upgrade plan ${view.target}`] }),
  shouldRun: async (ctx) => !(await nodeDone(ctx, ctx.plan.controlPlane[0]!.name)),
  async run(ctx) {
    const first = ctx.plan.controlPlane[0]!.name;
    const say = (message: string) => ctx.emit({ kind: 'progress', phase: this.id, host: first, message });
    if ((await versionsOf(ctx, first)).kubeadm !== ctx.target)
      await ctx.agents.runTask(
        first,
        'installPackages',
        { packages: ['kubeadm'], version: ctx.target, binariesDir: ctx.spec.kubernetes.binariesDir ?? '' },
        { timeoutMs: 660_000, onProgress: say },
      );
    const plan = await ctx.agents.runTask(first, 'kubeadmUpgrade', { mode: 'plan', version: ctx.target }, { timeoutMs: 300_000 });
    say(
      plan.outputTail
        .split('\n')
        .filter((l) => l.includes('kubeadm upgrade apply'))
        .at(-1)
        ?.trim() ?? 'kubeadm upgrade plan succeeded',
    );
  },
};
