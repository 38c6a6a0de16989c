import { PreconditionError } from '../../../core/errors.js';
import { upgradeRefusals } from '../../../core/upgrade/policy.js';
import { etcdPreflightProblems } from '../../workflow/etcd.js';
import { loadBalancerAgents } from '../../workflow/host-tasks.js';
import type { Phase } from '../../workflow/phase.js';
import { versionsOf, type UpgradeContext, type UpgradeView } from './upgrade-target.js';

/** A certificate that expires this soon could expire in the middle of the upgrade. */
const CERT_MARGIN_MS = 24 * 3_600_000;

/**
 * Before anything changes: every agent connected; kubeadm's and Kubernetes' version rules (one minor at a time, no
 * downgrade, kubelet skew), every node Ready, etcd healthy, every load balancer at the current backend set, no kubeadm
 * certificate expiring within a day. Each refusal names its rule and the node. The window gates on etcd again before
 * each node.
 */
export const upgradePreflightPhase: Phase<UpgradeContext, UpgradeView> = {
  id: 'upgrade-preflight',
  title: 'Preflight: version rules, every node Ready, etcd healthy, load balancers current, no certificate about to expire',
  describe: (view) => ({ hosts: view.spec.nodes.map((n) => n.name), order: 'parallel', details: [`${view.spec.kubernetes.version} → ${view.target}`] }),
  shouldRun: () => true,
  async run(ctx) {
    const connected = ctx.agents.connected?.() ?? ctx.spec.nodes.map((n) => n.name);
    const problems: string[] = ctx.spec.nodes.filter((n) => !connected.includes(n.name)).map((n) => `agents connected: ${n.name}'s agent is not connected`);
    const runner = ctx.plan.controlPlane[0]!;
    const server = `https://${runner.address}:${ctx.spec.controlPlaneEndpoint.apiserverPort}`;
    const nodes = [];
    for (const n of ctx.spec.nodes.filter((x) => connected.includes(x.name))) {
      const versions = await versionsOf(ctx, n.name);
      // An apiserver that cannot answer (etcd without quorum, say) is a refusal named here, not a failed phase.
      const status = await ctx.agents.runTask(runner.name, 'nodeStatus', { nodeName: n.name, server }).catch((err: unknown) => err as Error);
      if (status instanceof Error) problems.push(`every node Ready: cannot read ${n.name}'s Node through ${runner.name}'s apiserver: ${status.message}`);
      nodes.push({ node: n.name, role: n.role, kubelet: versions.kubelet, ready: status instanceof Error ? true : status.registered && status.ready });
    }
    problems.push(...upgradeRefusals({ target: ctx.target, cluster: ctx.spec.kubernetes.version, nodes }));
    problems.push(...(await etcdPreflightProblems(ctx, this.id, 'upgrade')));
    const current = (await ctx.backends.current()).version;
    for (const lb of await loadBalancerAgents(ctx)) {
      if (!connected.includes(lb)) continue;
      const applied = (await ctx.agents.runTask(lb, 'lbStatus', {})).appliedVersion;
      if (applied !== current) problems.push(`load balancers current: ${lb} runs backend set v${applied}, not v${current}`);
    }
    for (const cp of ctx.plan.controlPlane.filter((n) => connected.includes(n.name))) {
      const check = await ctx.agents.runTask(cp.name, 'certsCheck', { controlPlane: true }, { timeoutMs: 70_000 });
      const soon = check.certificates.filter((c) => c.notAfter && Date.parse(c.notAfter) - Date.now() < CERT_MARGIN_MS);
      if (soon.length > 0)
        problems.push(`certificates: ${cp.name}'s ${soon.map((c) => c.name).join(', ')} expire within a day; coordinatorctl certs renew first`);
    }
    if (problems.length > 0) throw new PreconditionError(`refusing to upgrade to ${ctx.target}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    ctx.emit({
      kind: 'progress',
      phase: this.id,
      message: `${ctx.spec.kubernetes.version} → ${ctx.target}: ${nodes.length} nodes Ready, etcd healthy, load balancers at v${current}`,
    });
  },
};
