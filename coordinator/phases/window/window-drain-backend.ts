import { setTimeout as sleep } from 'node:timers/promises';
import { drainBackend } from '../../../core/backend-set.js';
import { PreconditionError } from '../../../core/errors.js';
import { loadBalancerAgents } from '../../workflow/host-tasks.js';
import type { Phase } from '../../workflow/phase.js';
import { onTarget, say, type WindowContext, type WindowView } from './window-target.js';

const POLL_MS = 250;

/**
 * The node's apiserver out of service: draining in the backend set (haproxy sends it no new connection), applied by
 * every load balancer, then up to the drain timeout for the connections it still has (watches, exec) to end on
 * their own. Whatever is left is ended by the apiserver's own graceful shutdown when the work restarts it: its
 * clients reconnect through the VIP to another apiserver.
 */
export const windowDrainBackendPhase: Phase<WindowContext, WindowView> = {
  id: 'window-drain-backend',
  title: "Drain the node's apiserver on every load balancer",
  describe: (view) => onTarget(view, `${view.target.name} draining in the backend set, applied everywhere; wait for its sessions to end`),
  shouldRun: () => true,
  async run(ctx) {
    const node = ctx.target.name;
    const before = await ctx.backends.current();
    if (!before.backends.some((b) => b.name !== node && b.state === 'active')) {
      throw new PreconditionError(
        `draining ${node} would leave no active apiserver behind the VIP (${before.backends.map((b) => `${b.name} ${b.state}`).join(', ') || 'no backend'}); put the others back in service first`,
        { host: node },
      );
    }
    const next = await ctx.backends.update((set) => drainBackend(set, node));
    const agents = await loadBalancerAgents(ctx);
    await ctx.backends.waitApplied(next.version, agents, ctx.timeouts.lbAppliedMs);
    say(ctx, this.id, `${node} draining in backend set v${next.version}, applied by ${agents.join(', ')}`);
    const deadline = Date.now() + ctx.windowTimeouts.drainMs;
    let open = 0;
    for (;;) {
      ctx.signal?.throwIfAborted();
      open = 0;
      for (const agent of agents) {
        const status = await ctx.agents.runTask(agent, 'lbStatus', {});
        open += status.servers.filter((s) => s.name === node).reduce((n, s) => n + (s.sessions ?? 0), 0);
      }
      if (open === 0) {
        say(ctx, this.id, 'no session left on its backend');
        break;
      }
      if (Date.now() > deadline) {
        say(ctx, this.id, `${open} session(s) still open after ${ctx.windowTimeouts.drainMs} ms; the apiserver's graceful shutdown ends them`);
        break;
      }
      await sleep(POLL_MS);
    }
    return next.version === before.version && open === 0 ? 'unchanged' : undefined;
  },
};
