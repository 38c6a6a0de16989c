import { KubeadmHaError } from '../../../core/errors.js';
import type { Phase } from '../../workflow/phase.js';
import { renewalState, type CertsContext, type CertsView } from './certs-target.js';

/** The proof: each node's apiserver serves a certificate renewed by this renewal, and every backend is active. */
export const certsVerifyPhase: Phase<CertsContext, CertsView> = {
  id: 'certs-verify',
  title: 'Verify: every renewed apiserver serves its new certificate; every backend active',
  describe: (view) => ({ hosts: view.nodes.map((n) => n.name), order: 'parallel', details: [] }),
  shouldRun: () => true,
  async run(ctx) {
    const problems: string[] = [];
    for (const node of ctx.nodes) {
      const s = await renewalState(ctx, node);
      if (!s.renewedOnDisk) problems.push(`${node.name}: apiserver.crt was not renewed`);
      else if (!s.served) problems.push(`${node.name}: the apiserver does not serve the renewed certificate`);
    }
    const draining = (await ctx.backends.current()).backends.filter((b) => b.state !== 'active').map((b) => b.name);
    if (draining.length > 0) problems.push(`backends still draining: ${draining.join(', ')}`);
    if (problems.length > 0) throw new KubeadmHaError(`after the renewal:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    ctx.emit({ kind: 'progress', phase: this.id, message: `${ctx.nodes.map((n) => n.name).join(', ')} serve renewed certificates; every backend active` });
  },
};
