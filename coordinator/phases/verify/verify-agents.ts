import type { ClusterView } from '../../workflow/ports.js';
import type { Phase } from '../../workflow/phase.js';
import { addRow, type VerifyContext } from './verify-report.js';

/** Every spec node registered, connected and joined. */
export const verifyAgentsPhase: Phase<VerifyContext, ClusterView> = {
  id: 'verify-agents',
  title: 'Every node: agent registered and connected, node joined',
  describe: ({ spec }) => ({ hosts: spec.nodes.map((n) => n.name), order: 'parallel', details: [] }),
  shouldRun: () => true,
  async run(ctx) {
    const registered = new Set(await ctx.registered());
    const connected = new Set(ctx.connected());
    const records = await Promise.all(ctx.spec.nodes.map((node) => ctx.cluster.node(node.name)));
    for (const [i, node] of ctx.spec.nodes.entries()) {
      const record = records[i];
      const state = !registered.has(node.name) ? 'not registered' : !connected.has(node.name) ? 'registered, agent not connected' : 'registered, connected';
      addRow(ctx, 'agent', node.name, registered.has(node.name) && connected.has(node.name), state);
      addRow(
        ctx,
        'joined',
        node.name,
        record?.joined === true,
        record?.joined ? `as ${record.role}${record.joinedAt ? ` at ${record.joinedAt}` : ''}` : 'not joined',
      );
    }
  },
};
