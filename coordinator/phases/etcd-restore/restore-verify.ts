import { assessEtcd } from '../../../core/etcd/health.js';
import { KubeadmHaError } from '../../../core/errors.js';
import { etcdReports } from '../../workflow/etcd.js';
import { forEachHost } from '../../workflow/for-each-host.js';
import type { Phase } from '../../workflow/phase.js';
import { vipAddress } from '../verify/verify-report.js';
import { members, onMembers, progress, type RestoreContext, type RestoreView } from './restore-target.js';

const VIA_VIP_TIMEOUT_MS = 60_000;

/** The proof: etcd whole (verify's own judgement) and the API answering through the VIP from every control-plane node. */
export const restoreVerifyPhase: Phase<RestoreContext, RestoreView> = {
  id: 'restore-verify',
  title: 'Verify: etcd members healthy with one leader, the API answers through the VIP',
  describe: (view) => onMembers(view, ['etcd as `coordinatorctl verify` judges it; /healthz through the VIP from every control-plane node']),
  shouldRun: () => true,
  async run(ctx) {
    const nodes = members(ctx);
    const assessment = assessEtcd(nodes, await etcdReports(ctx.agents, nodes, this.id, ctx.signal));
    if (!assessment.healthy) throw new KubeadmHaError(`etcd after the restore:\n${assessment.problems.map((p) => `  - ${p}`).join('\n')}`);
    const leader = assessment.members.find((m) => m.leader);
    progress(ctx, this.id, `etcd: ${assessment.members.length} members healthy, leader ${leader?.name ?? assessment.leaderId}, no learner, no alarm`);
    const vip = vipAddress(ctx.spec);
    const { port } = ctx.spec.controlPlaneEndpoint;
    await forEachHost(nodes, { limit: nodes.length, phase: this.id }, async (node) => {
      const r = await ctx.agents.runTask(
        node.name,
        'waitApiserver',
        { address: vip, port, timeoutMs: VIA_VIP_TIMEOUT_MS },
        { timeoutMs: VIA_VIP_TIMEOUT_MS + 5_000 },
      );
      progress(ctx, this.id, `https://${vip}:${port}/healthz answers from ${node.name}${r.elapsedMs > 0 ? ` (after ${r.elapsedMs} ms)` : ''}`, node.name);
    });
  },
};
