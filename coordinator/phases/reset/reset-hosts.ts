import type { PlannedNode } from '../../../core/plan.js';
import { forEachHost } from '../../workflow/for-each-host.js';
import { runPhases } from '../../workflow/engine.js';
import { UNRECORDED, type Phase } from '../../workflow/phase.js';
import type { ClusterView } from '../../workflow/ports.js';
import { removeKubeadmResetPhase } from '../remove-node/remove-kubeadm-reset.js';
import { removeLoadBalancerPhase } from '../remove-node/remove-load-balancer.js';
import { DEFAULT_REMOVE_TIMEOUTS, type RemoveContext, type RemoveView } from '../remove-node/remove-target.js';
import { removeVerifyPhase } from '../remove-node/remove-verify.js';
import { removeVipPhase } from '../remove-node/remove-vip.js';
import type { ResetContext } from './reset-target.js';

/** The host-cleaning half of a removal, in the cleanup script's order; the cluster is going, so nothing moves first. */
export const RESET_HOST_PHASES = [removeKubeadmResetPhase, removeLoadBalancerPhase, removeVipPhase, removeVerifyPhase] as const;

const everyNode = (view: ClusterView): PlannedNode[] => [...view.plan.controlPlane, ...view.plan.workers];

/** Every node at once: `kubeadm reset -f`, load balancer stopped, every file of ours removed, the VIP deleted, proof. */
export const resetHostsPhase: Phase<ResetContext, ClusterView> = {
  id: 'reset-hosts',
  title: 'Reset every node: kubeadm reset, load balancer stopped, our files and the VIP removed',
  describe: (view) => ({
    hosts: everyNode(view).map((n) => n.name),
    order: 'parallel',
    details: RESET_HOST_PHASES.map((p) => `${p.id}: ${p.title}`),
  }),
  shouldRun: (ctx) => ctx.hosts !== undefined,
  async run(ctx) {
    const cluster = ctx.hosts!;
    const nodes = everyNode(cluster);
    // A reset resumed by a restarted coordinator starts before the agents have reconnected; a task to an agent that is
    // not connected fails at once.
    const connected = cluster.agents.connected?.();
    const missing = connected ? nodes.map((n) => n.name).filter((n) => !connected.includes(n)) : [];
    if (missing.length > 0) {
      ctx.emit({ kind: 'progress', phase: this.id, message: `waiting for ${missing.join(', ')} to connect` });
      await cluster.agents.waitForAgents(
        nodes.map((n) => n.name),
        { timeoutMs: cluster.timeouts.agentsMs, ...(ctx.signal ? { signal: ctx.signal } : {}) },
      );
    }
    ctx.emit({ kind: 'progress', phase: this.id, message: `resetting ${nodes.length} nodes: ${nodes.map((n) => n.name).join(', ')}` });
    await forEachHost(nodes, { limit: nodes.length, phase: 'reset', ...(ctx.signal ? { signal: ctx.signal } : {}) }, async (node) => {
      const facts = cluster.agents.facts(node.name);
      const target: RemoveContext = {
        ...cluster,
        progress: UNRECORDED,
        target: node,
        removeTimeouts: DEFAULT_REMOVE_TIMEOUTS,
        alwaysStopLoadBalancer: true,
        paths: ctx.pathsOf(node, facts ? !facts.kubeletInstalledByPackageManager : false),
        forgetInSpec: async () => undefined,
        // reset-forget revokes every agent once all hosts are clean; a host revoked early could not be reset again.
        revokeAgent: async () => undefined,
      };
      await runPhases<RemoveContext>(RESET_HOST_PHASES as readonly Phase<RemoveContext, RemoveView>[], target, 'Run `coordinatorctl reset --yes` again.');
      ctx.emit({ kind: 'progress', phase: this.id, host: node.name, message: 'clean' });
    });
  },
};
