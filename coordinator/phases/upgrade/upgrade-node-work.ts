import { say, type WindowContext, type WindowWork } from '../window/window-target.js';
import { DRAIN_TIMEOUT_S, kubectlRunner, nodeDone, versionsOf, type UpgradeContext } from './upgrade-target.js';

/**
 * One node's upgrade, as Kubernetes documents it: kubeadm at the target (pinned, held), `kubeadm upgrade apply` on
 * the first control-plane node and `kubeadm upgrade node` elsewhere, the node drained (through another control-plane
 * node's apiserver), kubelet and kubectl at the target, the kubelet restarted, the node uncordoned. Each step asks the
 * node what it runs first, so a resumed upgrade does only what is left. For control-plane nodes it runs inside the
 * maintenance window; only the control plane restarts, so the VIP stays where it is.
 */
export function upgradeNodeWork(up: Pick<UpgradeContext, 'target' | 'plan' | 'spec'>, first: boolean): WindowWork {
  return {
    id: 'upgrade',
    title: `kubeadm ${first ? 'upgrade apply' : 'upgrade node'}, drain, kubelet ${up.target}, uncordon`,
    stopsLoadBalancer: false,
    done: (ctx: WindowContext) => nodeDone({ agents: ctx.agents, target: up.target }, ctx.target.name),
    run: (ctx: WindowContext) => upgradeNode(ctx, ctx.target.name, up, first, (m) => say(ctx, 'upgrade', m)),
  };
}

export async function upgradeNode(
  ctx: Pick<WindowContext, 'agents' | 'signal'>,
  node: string,
  up: Pick<UpgradeContext, 'target' | 'plan' | 'spec'>,
  first: boolean,
  report: (message: string) => void,
): Promise<void> {
  const before = await versionsOf(ctx, node);
  if (before.kubeadm !== up.target) {
    await ctx.agents.runTask(
      node,
      'installPackages',
      { packages: ['kubeadm'], version: up.target, binariesDir: up.spec.kubernetes.binariesDir ?? '' },
      { timeoutMs: 660_000, onProgress: report },
    );
    report(`kubeadm ${up.target} installed (was ${before.kubeadm || 'none'})`);
  }
  const mode = first ? 'apply' : 'node';
  const upgraded = await ctx.agents.runTask(node, 'kubeadmUpgrade', { mode, version: up.target }, { timeoutMs: 960_000, onProgress: report });
  report(`kubeadm upgrade ${mode}: ${upgraded.outputTail.split('\n').filter(Boolean).at(-1) ?? 'done'}`);
  const { runner, server } = kubectlRunner(up, node);
  await ctx.agents.runTask(
    runner.name,
    'kubectlDrain',
    { nodeName: node, timeoutSeconds: DRAIN_TIMEOUT_S, server },
    { timeoutMs: (DRAIN_TIMEOUT_S + 30) * 1000, onProgress: report },
  );
  await ctx.agents.runTask(
    node,
    'installPackages',
    { packages: ['kubelet', 'kubectl'], version: up.target, binariesDir: up.spec.kubernetes.binariesDir ?? '' },
    { timeoutMs: 660_000, onProgress: report },
  );
  await ctx.agents.runTask(node, 'restartKubelet', {}, { timeoutMs: 150_000 });
  const after = await versionsOf(ctx, node);
  if (after.kubelet !== up.target) throw new Error(`${node}'s kubelet reports ${after.kubelet || 'nothing'} after its upgrade to ${up.target}`);
  await ctx.agents.runTask(runner.name, 'kubectlUncordon', { nodeName: node, server }, { timeoutMs: 60_000 });
  report(`kubelet ${up.target} running; ${node} uncordoned`);
}
