import { RESTORE_MEMBER_TIMEOUT_MS } from '../../../core/etcd/restore.js';
import { forEachHost } from '../../workflow/for-each-host.js';
import type { Phase } from '../../workflow/phase.js';
import { allRestored, initialCluster, members, onMembers, progress, type RestoreContext, type RestoreView } from './restore-target.js';

/**
 * Every member rebuilt from the same snapshot, at once: its own name and peer URL, the full member list, and the new
 * cluster token, by the etcd image's own `etcdutl snapshot restore` (run by kubelet as a one-shot static pod). The
 * agent keeps the old data directory beside the new one. Members already restored under this token are left alone.
 */
export const restoreMembersPhase: Phase<RestoreContext, RestoreView> = {
  id: 'restore-members',
  title: 'Restore every etcd member from the snapshot (same names and peer URLs, a new cluster token)',
  describe: (view) =>
    onMembers(view, [
      `etcdutl snapshot restore --initial-cluster ${initialCluster(view)
        .map((p) => `${p.name}=${p.peerUrl}`)
        .join(',')} --initial-cluster-token ${view.restoreId} (--bump-revision and --mark-compacted from etcd 3.5.10)`,
      'the data directory from before is kept as <data dir>.before-restore-<time>',
    ]),
  shouldRun: (ctx) => !allRestored(ctx),
  async run(ctx) {
    const cluster = initialCluster(ctx);
    const nodes = members(ctx).filter((n) => !ctx.restored.has(n.name));
    await forEachHost(nodes, { limit: nodes.length, phase: this.id, ...(ctx.signal ? { signal: ctx.signal } : {}) }, async (node) => {
      const r = await ctx.agents.runTask(
        node.name,
        'etcdRestoreMember',
        {
          restoreId: ctx.restoreId,
          name: node.name,
          peerUrl: cluster.find((p) => p.name === node.name)!.peerUrl,
          initialCluster: cluster,
          criSocket: ctx.spec.kubernetes.criSocket,
          timeoutMs: RESTORE_MEMBER_TIMEOUT_MS,
        },
        { timeoutMs: RESTORE_MEMBER_TIMEOUT_MS + 30_000 },
      );
      ctx.restored.add(node.name);
      progress(ctx, this.id, `${r.detail}${r.previousDataDir ? `; the data from before is in ${r.previousDataDir}` : ''}`, node.name);
    });
  },
};
