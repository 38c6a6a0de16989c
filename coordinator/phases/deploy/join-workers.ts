import { withContext } from '../../../core/errors.js';
import type { PlannedNode } from '../../../core/plan.js';
import { KUBEADM_CONFIG_PATH } from '../../../core/render/kubeadm-config.js';
import { kubeadmConfigFile, type JoinCredentials } from '../../../core/render/node-files.js';
import { forEachHost } from '../../workflow/for-each-host.js';
import { notJoined, writeFiles } from '../../workflow/host-tasks.js';
import type { ClusterContext, ClusterView } from '../../workflow/ports.js';
import type { Phase } from '../../workflow/phase.js';
import { controlPlaneRunner, joinState, mintCredentials, revokeCredentials, scrubJoinCredentials, settledBoth, waitNodeReady } from './join-credentials.js';

const pending = (ctx: ClusterContext) => notJoined(ctx, ctx.plan.workers);

export const joinWorkersPhase: Phase<ClusterContext, ClusterView> = {
  id: 'join-workers',
  title: 'Join the workers in parallel',
  describe: ({ plan, workerConcurrency }) => ({
    title: `Join workers in parallel (at most ${workerConcurrency} at once)`,
    hosts: plan.workers.map((n) => n.name),
    order: 'parallel',
    details: [],
  }),
  shouldRun: async (ctx) => (await pending(ctx)).length > 0,
  async run(ctx) {
    const nodes = await pending(ctx);
    await withWorkerCredentials(ctx, (credentials) =>
      forEachHost(nodes, { limit: ctx.workerConcurrency, phase: 'join-workers', ...(ctx.signal ? { signal: ctx.signal } : {}) }, (node) =>
        joinWorkerNode(ctx, node, credentials),
      ),
    );
  },
};

/** Worker credentials are shared by a batch: one token for all workers of a deploy, deleted at its end. */
async function withWorkerCredentials<T>(ctx: ClusterContext, work: (credentials: JoinCredentials) => Promise<T>): Promise<T> {
  const runner = await controlPlaneRunner(ctx);
  const ttlMs = Math.max(ctx.timeouts.joinMs * 2, 60 * 60_000);
  const credentials = await mintCredentials(ctx, runner, false, ttlMs);
  try {
    return await work(credentials);
  } finally {
    await revokeCredentials(ctx, runner, credentials);
  }
}

async function joinWorkerNode(ctx: ClusterContext, node: PlannedNode, credentials: JoinCredentials): Promise<void> {
  const emit = (message: string) => ctx.emit({ kind: 'progress', phase: 'join-workers', host: node.name, message });
  const join = await joinState(ctx, node);
  if (join.state === 'joined') emit(`already joined (${join.detail})`);
  else {
    if (join.state === 'cut-off') {
      // kubeadm's preflight refuses kubelet.conf: a join killed half-way is undone before the next one.
      emit(`an earlier join was cut off here (${join.detail}): kubeadm reset before joining again`);
      await ctx.agents.runTask(node.name, 'kubeadmReset', {}, { timeoutMs: ctx.timeouts.joinMs });
    }
    await writeFiles(ctx.agents, node.name, [kubeadmConfigFile(ctx.plan, node, { joinCredentials: credentials })]);
    // The node's kubeadm.yaml keeps its JoinConfiguration for reference, without the credentials; best effort.
    const scrub = () => scrubJoinCredentials(ctx, node);
    emit('kubeadm join');
    try {
      await ctx.agents.runTask(
        node.name,
        'kubeadmJoin',
        { configPath: KUBEADM_CONFIG_PATH, ignorePreflightErrors: [] },
        { timeoutMs: ctx.timeouts.joinMs, onProgress: (line) => emit(line) },
      );
    } catch (err) {
      await scrub();
      throw withContext(err, { host: node.name });
    }
    emit('waiting for its Node to be registered and Ready');
    // The credentials leave the file while the Node comes up: one round trip less per worker on the critical path.
    await settledBoth(scrub(), waitNodeReady(ctx, node, ctx.timeouts.apiserverMs));
  }
  await ctx.cluster.putNode({ name: node.name, role: 'worker', joined: true, joinedAt: new Date().toISOString() });
}
