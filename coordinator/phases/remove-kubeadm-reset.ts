import { existingPaths } from '../deploy/tasks.js';
import { progress, type RemoveContext } from './remove-context.js';
import type { Phase } from './phase.js';

/** What a kubeadm init or join leaves; none of it after `kubeadm reset -f`. */
const KUBEADM_TRACES = [
  '/etc/kubernetes/kubelet.conf',
  '/etc/kubernetes/admin.conf',
  '/etc/kubernetes/manifests/etcd.yaml',
  '/etc/kubernetes/manifests/kube-apiserver.yaml',
  '/var/lib/kubelet/config.yaml',
];

/** `kubeadm reset -f` on the node: on a control-plane node it removes its etcd member first. */
export const removeKubeadmReset: Phase<RemoveContext> = {
  id: 'remove-kubeadm-reset',
  title: 'kubeadm reset -f on the node',
  shouldRun: async (ctx) => (await existingPaths(ctx.agents, ctx.target.name, KUBEADM_TRACES)).length > 0,
  async run(ctx) {
    await ctx.agents.runTask(ctx.target.name, 'kubeadmReset', {}, { timeoutMs: ctx.timeouts.joinMs, onProgress: (l) => progress(ctx, this.id, l) });
  },
};
