import { PreconditionError } from '../../../core/errors.js';
import type { ClusterContext, ClusterView } from '../../workflow/ports.js';
import type { Phase } from '../../workflow/phase.js';

/**
 * Every host of the spec must have a registered, connected agent before anything is done to any of them, and every
 * control-plane node not joined yet must have registered with a control-plane token: kubeadm init, and a control-plane
 * join with its certificate key, hand the host the cluster's CA keys, which a worker token must never obtain.
 */
export const waitAgentsPhase: Phase<ClusterContext, ClusterView> = {
  id: 'wait-agents',
  title: 'Wait for every listed agent to register, control-plane nodes with a control-plane token',
  describe: (view) => ({ hosts: view.spec.nodes.map((n) => n.name), order: 'parallel', details: [] }),
  shouldRun: () => true,
  async run(ctx) {
    const names = ctx.spec.nodes.map((n) => n.name);
    let last = '';
    await ctx.agents.waitForAgents(names, {
      timeoutMs: ctx.timeouts.agentsMs,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      onProgress: ({ connected, missing }) => {
        const message = `${connected}/${names.length} agents registered${missing.length > 0 ? `; waiting for ${missing.join(', ')}` : ''}`;
        if (message !== last) ctx.emit({ kind: 'progress', phase: 'wait-agents', message });
        last = message;
      },
    });
    const registeredRole = ctx.agents.registeredRole;
    if (!registeredRole) return;
    const underRanked: string[] = [];
    for (const node of ctx.spec.nodes) {
      if (node.role !== 'control-plane' || (await ctx.cluster.node(node.name))?.joined) continue;
      if ((await registeredRole(node.name)) !== 'control-plane') underRanked.push(node.name);
    }
    if (underRanked.length === 0) return;
    const first = underRanked[0]!;
    throw new PreconditionError(
      `${underRanked.join(', ')} ${underRanked.length === 1 ? 'is a control-plane node' : 'are control-plane nodes'} in the spec but registered with a worker token; ` +
        `a control-plane node receives the cluster CA keys, so it needs a control-plane token: run \`coordinatorctl nodes forget ${first}\`, install the agent.yaml printed by ` +
        `\`coordinatorctl token create --role control-plane --node-name ${first}\` on it and restart its agent (the same for each), then deploy again`,
    );
  },
};
