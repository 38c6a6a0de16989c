import { forEachHost } from '../concurrency.js';
import { notJoined, type DeployContext } from '../deploy/context.js';
import { joinWorkerNode, withWorkerCredentials } from '../deploy/join.js';
import type { Phase } from './phase.js';

const pending = (ctx: DeployContext) => notJoined(ctx, ctx.plan.workers);

export const joinWorkers: Phase<DeployContext> = {
  id: 'join-workers',
  title: 'Join the workers in parallel',
  shouldRun: async (ctx) => (await pending(ctx)).length > 0,
  async run(ctx) {
    const nodes = await pending(ctx);
    await withWorkerCredentials(ctx, (credentials) =>
      forEachHost(nodes, { limit: ctx.workerConcurrency, phase: 'join-workers', ...(ctx.signal ? { signal: ctx.signal } : {}) }, (node) => joinWorkerNode(ctx, node, credentials)),
    );
  },
};
