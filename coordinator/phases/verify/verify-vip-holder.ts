import type { ClusterView } from '../../workflow/ports.js';
import type { Phase } from '../../workflow/phase.js';
import { addRow, vipAddress, type VerifyContext } from './verify-report.js';

/** Exactly one VIP holder on the segment: none is an outage, two is split brain. */
export const verifyVipHolderPhase: Phase<VerifyContext, ClusterView> = {
  id: 'verify-vip-holder',
  title: 'Exactly one host holds the VIP',
  describe: () => ({ hosts: [], order: 'none', details: [] }),
  shouldRun: () => true,
  async run(ctx) {
    const vip = vipAddress(ctx.spec);
    const holders = ctx.report.holders;
    const detail =
      holders.length === 1
        ? `${vip} on ${holders[0]}`
        : holders.length === 0
          ? `nobody holds ${vip}`
          : `${vip} on ${holders.length} hosts (split brain): ${holders.join(', ')}`;
    addRow(ctx, 'VIP holder', '', holders.length === 1, detail);
  },
};
