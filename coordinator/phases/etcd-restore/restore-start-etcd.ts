import { setTimeout as sleep } from 'node:timers/promises';
import { assessEtcd } from '../../../core/etcd/health.js';
import { TimeoutError } from '../../../core/errors.js';
import { etcdReports } from '../../workflow/etcd.js';
import { forEachHost } from '../../workflow/for-each-host.js';
import type { Phase } from '../../workflow/phase.js';
import { members, onMembers, progress, type RestoreContext, type RestoreView } from './restore-target.js';

/** How long the restored members may take to find each other and elect a leader. */
export const ETCD_START_TIMEOUT_MS = 5 * 60_000;
const POLL_MS = 2_000;

/**
 * Puts every etcd.yaml back (unchanged: a member with data ignores its --initial-cluster flags) and waits until the
 * restored cluster is whole: every member healthy, one leader agreed by all, no learner, no alarm. The apiservers
 * stay stopped until then, so that none of them serves from a member still alone.
 */
export const restoreStartEtcdPhase: Phase<RestoreContext, RestoreView> = {
  id: 'restore-start-etcd',
  title: 'Start the restored etcd members and wait for one healthy cluster',
  describe: (view) => onMembers(view, ['etcd.yaml back in /etc/kubernetes/manifests; wait until all members are healthy with one leader']),
  shouldRun: () => true,
  async run(ctx) {
    const nodes = members(ctx);
    await forEachHost(nodes, { limit: nodes.length, phase: this.id, ...(ctx.signal ? { signal: ctx.signal } : {}) }, async (node) => {
      const r = await ctx.agents.runTask(node.name, 'parkControlPlane', { park: false, components: ['etcd'] }, { timeoutMs: 30_000 });
      progress(ctx, this.id, r.actions.join('; '), node.name);
    });
    const deadline = Date.now() + ETCD_START_TIMEOUT_MS;
    let problems: readonly string[] = [];
    for (;;) {
      ctx.signal?.throwIfAborted();
      const assessment = assessEtcd(nodes, await etcdReports(ctx.agents, nodes, this.id, ctx.signal));
      if (assessment.healthy) {
        const leader = assessment.members.find((m) => m.leader);
        progress(ctx, this.id, `etcd restored: ${assessment.members.length} members healthy, leader ${leader?.name ?? assessment.leaderId}`);
        return;
      }
      problems = assessment.problems;
      if (Date.now() > deadline) break;
      await sleep(POLL_MS, undefined, ctx.signal ? { signal: ctx.signal } : {});
    }
    throw new TimeoutError(
      `the restored etcd members are not one healthy cluster after ${ETCD_START_TIMEOUT_MS / 1000} s:\n${problems.map((p) => `  - ${p}`).join('\n')}\nThe apiservers stay stopped. Look at etcd's log on the nodes (crictl logs), then run the restore again: it goes on from here`,
    );
  },
};
