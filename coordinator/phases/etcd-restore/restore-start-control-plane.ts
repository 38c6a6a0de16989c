import { NON_ETCD_COMPONENTS } from '../../../core/etcd/restore.js';
import { forEachHost } from '../../workflow/for-each-host.js';
import type { Phase } from '../../workflow/phase.js';
import { members, onMembers, progress, type RestoreContext, type RestoreView } from './restore-target.js';

/**
 * Puts the apiserver, controller-manager and scheduler manifests back on every node and waits until each node's own
 * apiserver answers /readyz (etcd check included) on its own address. The controllers start with empty caches and
 * reconcile to the restored objects.
 */
export const restoreStartControlPlanePhase: Phase<RestoreContext, RestoreView> = {
  id: 'restore-start-control-plane',
  title: 'Start every kube-apiserver, kube-controller-manager and kube-scheduler again',
  describe: (view) =>
    onMembers(view, [
      `${NON_ETCD_COMPONENTS.map((c) => `${c}.yaml`).join(', ')} back in /etc/kubernetes/manifests; wait for each apiserver on its own address`,
    ]),
  shouldRun: () => true,
  async run(ctx) {
    const nodes = members(ctx);
    const port = ctx.spec.controlPlaneEndpoint.apiserverPort;
    await forEachHost(nodes, { limit: nodes.length, phase: this.id, ...(ctx.signal ? { signal: ctx.signal } : {}) }, async (node) => {
      const r = await ctx.agents.runTask(node.name, 'parkControlPlane', { park: false, components: [...NON_ETCD_COMPONENTS] }, { timeoutMs: 30_000 });
      progress(ctx, this.id, r.actions.join('; '), node.name);
      const waited = await ctx.agents.runTask(
        node.name,
        'waitApiserver',
        { address: node.address, port, timeoutMs: ctx.timeouts.apiserverMs },
        { timeoutMs: ctx.timeouts.apiserverMs + 10_000 },
      );
      progress(ctx, this.id, `apiserver https://${node.address}:${port} ready after ${waited.elapsedMs} ms`, node.name);
    });
  },
};
