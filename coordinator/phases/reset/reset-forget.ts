import { withBackends } from '../../../core/backend-set.js';
import type { ClusterView } from '../../workflow/ports.js';
import type { Phase } from '../../workflow/phase.js';
import type { ResetContext } from './reset-target.js';

/**
 * The coordinator forgets the cluster (spec, node and phase records) and publishes an empty backend set as the next
 * version: versions never go back, or agents would ignore the next deploy's sets. Then every agent is revoked: a
 * torn-down cluster trusts no host, and deploying the hosts again takes new bootstrap tokens.
 */
export const resetForgetPhase: Phase<ResetContext, ClusterView> = {
  id: 'reset-forget',
  title: 'Forget the cluster: empty backend set, node and phase records and the stored spec cleared, agents revoked',
  describe: () => ({ hosts: [], order: 'none', details: ['every agent is revoked: deploying again takes new bootstrap tokens'] }),
  // From what is left, not from a record: a reset cut off after the spec went still revokes the agents, and a
  // second reset after a finished one publishes no new backend set and revokes nobody.
  shouldRun: async (ctx) => ctx.hosts !== undefined || ctx.leftovers === undefined || (await ctx.leftovers()).length > 0,
  async run(ctx) {
    if (!ctx.hosts) ctx.emit({ kind: 'progress', phase: 'reset', message: 'no deployed spec: no host to reset' });
    const emptied = await ctx.backends.update((set) => withBackends(set, []));
    await ctx.forgetCluster();
    const revoked = await ctx.revokeAgents();
    ctx.emit({
      kind: 'progress',
      phase: 'summary',
      message: `cluster ${ctx.clusterName} reset: node and phase records and the stored spec cleared; backend set v${emptied.version} is empty; ${revoked.length} agents revoked (deploying again takes new bootstrap tokens)`,
    });
  },
};
