import type { ClusterContext, ClusterView } from '../../workflow/ports.js';
import type { Phase } from '../../workflow/phase.js';

/** Every host of the spec must have a registered, connected agent before anything is done to any of them. */
export const waitAgentsPhase: Phase<ClusterContext, ClusterView> = {
  id: 'wait-agents',
  title: 'Wait for every listed agent to register',
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
  },
};
