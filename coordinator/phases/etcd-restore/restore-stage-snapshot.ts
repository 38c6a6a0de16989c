import { peerUrlOf } from '../../../core/etcd/gateway.js';
import { forEachHost } from '../../workflow/for-each-host.js';
import type { Phase } from '../../workflow/phase.js';
import { members, onMembers, progress, type RestoreContext, type RestoreView } from './restore-target.js';

/** A chunk's round trip is short; a 2 GiB snapshot in 1 MiB chunks is 2048 of them. */
const CHUNK_TIMEOUT_MS = 60_000;

/**
 * Sends the snapshot to every member's node (EtcdStageSnapshot, in order, 1 MiB a task), where the agent writes it
 * beside the etcd data directory and checks size, sha256 and etcd's own trailer before it keeps it. Nothing stops yet:
 * a snapshot that cannot reach every node ends the restore before any downtime. A node whose member is already
 * restored under this restore's token (a resumed restore) says so at the first chunk and gets nothing more.
 */
export const restoreStageSnapshotPhase: Phase<RestoreContext, RestoreView> = {
  id: 'restore-stage-snapshot',
  title: 'Copy the snapshot to every control-plane node and check it there',
  describe: (view) =>
    onMembers(view, [
      `${view.snapshot.path} (${view.snapshot.size} bytes, sha256 ${view.snapshot.sha256.slice(0, 16)}…) to <etcd data dir>.kubeadm-ha-restore/snapshot.db, checked on arrival`,
    ]),
  shouldRun: () => true,
  async run(ctx) {
    const { snapshot, restoreId } = ctx;
    await forEachHost(members(ctx), { limit: members(ctx).length, phase: this.id, ...(ctx.signal ? { signal: ctx.signal } : {}) }, async (node) => {
      let restored = false;
      let staged = false;
      await ctx.readSnapshot(async (chunk, offset) => {
        const last = offset + chunk.length === snapshot.size;
        const r = await ctx.agents.runTask(
          node.name,
          'etcdStageSnapshot',
          {
            restoreId,
            offset,
            data: chunk,
            totalSize: snapshot.size,
            sha256: last ? snapshot.sha256 : '',
            last,
            // The first chunk carries the member it will rebuild: the agent checks it before any downtime.
            ...(offset === 0 ? { name: node.name, peerUrl: peerUrlOf(node.address) } : {}),
          },
          { timeoutMs: CHUNK_TIMEOUT_MS, ...(ctx.signal ? { signal: ctx.signal } : {}) },
        );
        restored = r.alreadyRestored;
        staged = r.staged;
        return !restored;
      });
      if (restored) {
        ctx.restored.add(node.name);
        progress(ctx, this.id, `etcd member ${node.name} is already restored by ${restoreId}`, node.name);
      } else if (staged) progress(ctx, this.id, `snapshot staged and checked on ${node.name}`, node.name);
    });
  },
};
