import { controlPlaneEndpoint } from '../../core/plan.js';
import type { DeployContext } from '../deploy/context.js';
import type { Phase } from './phase.js';

export const summary: Phase<DeployContext> = {
  id: 'summary',
  title: 'Summary',
  shouldRun: () => true,
  async run(ctx) {
    const set = await ctx.backends.current();
    const joined: string[] = [];
    for (const n of ctx.spec.nodes) if ((await ctx.cluster.node(n.name))?.joined) joined.push(n.name);
    ctx.emit({
      kind: 'progress',
      phase: 'summary',
      message:
        `cluster ${ctx.spec.name}: ${joined.length}/${ctx.spec.nodes.length} nodes joined; ` +
        `apiserver at https://${controlPlaneEndpoint(ctx.spec)} (backend set v${set.version}: ${set.backends.map((b) => b.name).join(', ')}); ` +
        `kubeconfig: /etc/kubernetes/admin.conf on ${ctx.plan.initNode.name}`,
    });
  },
};
