import { forEachHost } from '../../workflow/for-each-host.js';
import type { Phase } from '../../workflow/phase.js';
import { allRestored, members, onMembers, PARK_WAIT_MS, progress, type RestoreContext, type RestoreView } from './restore-target.js';

/** Stops every etcd member (its manifest parked) once no apiserver uses it, and waits until kubelet stopped it. */
export const restoreStopEtcdPhase: Phase<RestoreContext, RestoreView> = {
  id: 'restore-stop-etcd',
  title: 'Stop every etcd member',
  describe: (view) => onMembers(view, ['park etcd.yaml in /etc/kubeadm-ha/stopped-manifests; wait until its container stopped']),
  shouldRun: (ctx) => !allRestored(ctx),
  async run(ctx) {
    const nodes = members(ctx);
    await forEachHost(nodes, { limit: nodes.length, phase: this.id, ...(ctx.signal ? { signal: ctx.signal } : {}) }, async (node) => {
      const r = await ctx.agents.runTask(
        node.name,
        'parkControlPlane',
        { park: true, components: ['etcd'], criSocket: ctx.spec.kubernetes.criSocket, waitTimeoutMs: PARK_WAIT_MS },
        { timeoutMs: PARK_WAIT_MS + 15_000 },
      );
      progress(ctx, this.id, r.actions.join('; '), node.name);
    });
  },
};
