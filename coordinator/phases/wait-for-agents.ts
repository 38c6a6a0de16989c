import type { DeployContext } from '../deploy/context.js';
import type { Phase } from './phase.js';

export const waitForAgents: Phase<DeployContext> = {
  id: 'wait-agents',
  title: 'Wait for every listed agent to register',
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
