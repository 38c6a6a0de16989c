import { PreconditionError } from '../../../core/errors.js';
import { healthyReporters } from '../../../core/etcd/health.js';
import { ETCD_STATUS_TIMEOUT_MS, etcdReports, joinedControlPlaneNodes, stackedEtcd } from '../../workflow/etcd.js';
import type { Phase } from '../../workflow/phase.js';
import { hostDone, onTarget, progress, type RemoveContext, type RemoveView } from './remove-target.js';

/** How long the remaining members get to agree on the new leader after the handover. */
const NEW_LEADER_WAIT_MS = 10_000;

/**
 * Before kubeadm reset removes the node's etcd member: if that member leads, leadership goes first to the most
 * caught-up healthy remaining member (etcd's MoveLeader, from the leader's own node). Removing the leader itself
 * leaves the cluster without one for an election timeout, and every apiserver's quorum reads (readyz, /healthz,
 * writes) fail meanwhile: requests through the VIP would fail during a removal we otherwise keep hitless.
 * A member that does not lead is left alone. `--force` goes on when the handover cannot be done, and says so.
 */
export const removeEtcdLeaderPhase: Phase<RemoveContext, RemoveView> = {
  id: 'remove-etcd-leader',
  title: 'Hand etcd leadership away from the node',
  describe: (view) =>
    view.target.role === 'control-plane'
      ? onTarget(view, "if the node's etcd member leads: move leadership to the most caught-up healthy remaining member")
      : onTarget(view, 'a worker: no etcd member'),
  shouldRun: async (ctx) => ctx.target.role === 'control-plane' && stackedEtcd(ctx.spec) && !(await hostDone(ctx)),
  async run(ctx) {
    const target = { name: ctx.target.name, address: ctx.target.address };
    const [own] = await etcdReports(ctx.agents, [target], this.id, ctx.signal);
    const self = own?.endpoint;
    if (!self || own.endpointError || own.error) {
      // Its etcd does not answer: it cannot lead a healthy cluster (the gate checked the others), nothing to hand over.
      progress(ctx, this.id, `its etcd member does not answer (${own?.error ?? own?.endpointError ?? 'no status'}): no leadership to hand over`);
      return;
    }
    if (self.leaderId !== self.memberId) {
      progress(ctx, this.id, `its etcd member ${self.memberId} does not lead (the leader is ${self.leaderId})`);
      return;
    }
    const remaining = (await joinedControlPlaneNodes(ctx)).filter((n) => n.name !== ctx.target.name);
    const reports = await etcdReports(ctx.agents, remaining, this.id, ctx.signal);
    const candidates = healthyReporters(reports)
      .filter((r) => !r.endpoint!.isLearner)
      .sort((a, b) => b.endpoint!.raftIndex - a.endpoint!.raftIndex);
    const next = candidates[0];
    if (!next) {
      const why = `${ctx.target.name}'s etcd member leads and no remaining member is healthy enough to take over`;
      if (!ctx.force)
        throw new PreconditionError(`${why}; fix etcd first (coordinatorctl etcd status), or --force to remove the leader anyway`, {
          phase: this.id,
          host: ctx.target.name,
        });
      progress(ctx, this.id, `warning: --force: ${why}; removing it anyway (the cluster elects a new leader after an election timeout)`);
      return;
    }
    const r = await ctx.agents.runTask(
      ctx.target.name,
      'etcdMoveLeader',
      { address: ctx.target.address, targetMemberId: next.endpoint!.memberId },
      { timeoutMs: ETCD_STATUS_TIMEOUT_MS, phase: this.id, onProgress: (line) => progress(ctx, this.id, line) },
    );
    progress(ctx, this.id, r.detail);
    // Every remaining member sees the same leader, not the node's, before its member goes.
    const deadline = Date.now() + NEW_LEADER_WAIT_MS;
    for (;;) {
      const now = await etcdReports(ctx.agents, remaining, this.id, ctx.signal);
      const leaders = new Set(healthyReporters(now).map((x) => x.endpoint!.leaderId));
      if (leaders.size === 1 && !leaders.has(self.memberId) && !leaders.has('0')) {
        progress(ctx, this.id, `${next.node}'s member ${[...leaders][0]} leads etcd now`);
        return;
      }
      if (Date.now() > deadline) {
        throw new PreconditionError(
          `etcd leadership did not settle away from ${ctx.target.name} within ${NEW_LEADER_WAIT_MS} ms (leaders seen: ${[...leaders].join(', ') || 'none'})`,
          {
            phase: this.id,
            host: ctx.target.name,
          },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  },
};
