import { forEachHost } from '../concurrency.js';
import { notJoined, type DeployContext } from '../deploy/context.js';
import { joinControlPlaneNode } from '../deploy/join.js';
import type { Phase } from './phase.js';

const pending = (ctx: DeployContext) => notJoined(ctx, ctx.plan.controlPlane.slice(1));

/** Strictly one at a time: etcd admits one learner, and a failed join must stop the line, not race the next one. */
export const joinControlPlane: Phase<DeployContext> = {
  id: 'join-control-plane',
  title: 'Join the other control-plane nodes, one at a time',
  shouldRun: async (ctx) => (await pending(ctx)).length > 0,
  async run(ctx) {
    const nodes = await pending(ctx);
    await forEachHost(nodes, { limit: 1, phase: 'join-control-plane', stopOnFirstFailure: true, ...(ctx.signal ? { signal: ctx.signal } : {}) }, (node) =>
      joinControlPlaneNode(ctx, node),
    );
  },
};
