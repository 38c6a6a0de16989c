import { PreconditionError } from '../../../core/errors.js';
import { etcdPreflightProblems } from '../../workflow/etcd.js';
import { loadBalancerAgents } from '../../workflow/host-tasks.js';
import type { Phase } from '../../workflow/phase.js';
import type { CertsContext, CertsView } from './certs-target.js';

/**
 * Before any node is touched: every control-plane agent connected, etcd healthy, and every load balancer at the
 * current backend set (a lagging one would not take the drained node out). Each refusal names its rule and the node.
 * The window gates on etcd again before each node.
 */
export const certsPreflightPhase: Phase<CertsContext, CertsView> = {
  id: 'certs-preflight',
  title: 'Preflight: control-plane agents connected, etcd healthy, every load balancer at the current backend set',
  describe: (view) => ({
    hosts: view.plan.controlPlane.map((n) => n.name),
    order: 'parallel',
    details: ['agents connected; etcd healthy; each LB applied the current backend set'],
  }),
  shouldRun: () => true,
  async run(ctx) {
    const lbs = await loadBalancerAgents(ctx);
    const connected = ctx.agents.connected?.() ?? lbs;
    const problems: string[] = [];
    for (const n of lbs) if (!connected.includes(n)) problems.push(`agents connected: ${n}'s agent is not connected`);
    const current = (await ctx.backends.current()).version;
    for (const n of lbs.filter((x) => connected.includes(x))) {
      const status = await ctx.agents.runTask(n, 'lbStatus', {});
      if (status.appliedVersion !== current) problems.push(`load balancers current: ${n} runs backend set v${status.appliedVersion}, not v${current}`);
    }
    problems.push(...(await etcdPreflightProblems(ctx, this.id, 'renew certificates')));
    if (problems.length > 0) throw new PreconditionError(`refusing to renew certificates:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    ctx.emit({ kind: 'progress', phase: this.id, message: `${lbs.length} load balancers at backend set v${current}` });
  },
};
