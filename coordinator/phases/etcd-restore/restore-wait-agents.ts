import type { Phase } from '../../workflow/phase.js';
import { members, onMembers, progress, type RestoreContext, type RestoreView } from './restore-target.js';

function missing(ctx: RestoreContext): string[] {
  const connected = ctx.agents.connected?.();
  return connected
    ? members(ctx)
        .map((n) => n.name)
        .filter((n) => !connected.includes(n))
    : [];
}

/**
 * Every member is rebuilt through its own node's agent, so all of them must be connected. A fresh restore was refused
 * when one was not; one that a coordinator restart cut off waits here for the agents to reconnect.
 */
export const restoreWaitAgentsPhase: Phase<RestoreContext, RestoreView> = {
  id: 'restore-wait-agents',
  title: "Wait for every control-plane node's agent",
  describe: (view) => onMembers(view, ['every control-plane agent connected (a restore rebuilds every member)']),
  shouldRun: (ctx) => missing(ctx).length > 0,
  async run(ctx) {
    progress(ctx, this.id, `waiting for ${missing(ctx).join(', ')} to connect`);
    await ctx.agents.waitForAgents(
      members(ctx).map((n) => n.name),
      { timeoutMs: ctx.timeouts.agentsMs, ...(ctx.signal ? { signal: ctx.signal } : {}) },
    );
  },
};
