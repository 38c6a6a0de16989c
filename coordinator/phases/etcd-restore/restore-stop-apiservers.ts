import { NON_ETCD_COMPONENTS } from '../../../core/etcd/restore.js';
import { forEachHost } from '../../workflow/for-each-host.js';
import type { Phase } from '../../workflow/phase.js';
import { allRestored, members, onMembers, PARK_WAIT_MS, progress, type RestoreContext, type RestoreView } from './restore-target.js';

/**
 * Stops every apiserver, controller-manager and scheduler by parking their manifests, and waits until kubelet has
 * stopped their containers: etcd must not be restored under a running apiserver (its watch cache would go on serving
 * what the snapshot undoes), and the controllers' caches are newer than the snapshot. From here the cluster's API is
 * down until restore-start-control-plane; the workloads keep running.
 */
export const restoreStopApiserversPhase: Phase<RestoreContext, RestoreView> = {
  id: 'restore-stop-apiservers',
  title: 'Stop every kube-apiserver, kube-controller-manager and kube-scheduler (the API is down from here)',
  describe: (view) =>
    onMembers(view, [
      `park ${NON_ETCD_COMPONENTS.map((c) => `${c}.yaml`).join(', ')} in /etc/kubeadm-ha/stopped-manifests; wait until their containers stopped`,
    ]),
  shouldRun: (ctx) => !allRestored(ctx),
  async run(ctx) {
    const nodes = members(ctx);
    await forEachHost(nodes, { limit: nodes.length, phase: this.id, ...(ctx.signal ? { signal: ctx.signal } : {}) }, async (node) => {
      const r = await ctx.agents.runTask(
        node.name,
        'parkControlPlane',
        { park: true, components: [...NON_ETCD_COMPONENTS], criSocket: ctx.spec.kubernetes.criSocket, waitTimeoutMs: PARK_WAIT_MS },
        { timeoutMs: PARK_WAIT_MS + 15_000 },
      );
      progress(ctx, this.id, r.actions.join('; '), node.name);
    });
  },
};
