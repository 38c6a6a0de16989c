import { stackedEtcd } from '../../workflow/etcd.js';
import type { Phase } from '../../workflow/phase.js';
import { renewalState, type CertsContext, type CertsView } from './certs-target.js';

/** A fresh, checked etcd snapshot before the first node's window, unless every node is already done (a resume). */
export const certsSnapshotPhase: Phase<CertsContext, CertsView> = {
  id: 'certs-snapshot',
  title: 'Take an etcd snapshot before the first node',
  describe: () => ({ hosts: [], order: 'none', details: ['coordinatorctl etcd snapshot, kept with the others'] }),
  shouldRun: async (ctx) => {
    if (!stackedEtcd(ctx.spec)) return false;
    for (const node of ctx.nodes) {
      const s = await renewalState(ctx, node);
      if (!(s.renewedOnDisk && s.served)) return true;
    }
    return false;
  },
  async run(ctx) {
    ctx.emit({ kind: 'progress', phase: this.id, message: `etcd snapshot ${await ctx.takeSnapshot()}` });
  },
};
