import type { ClusterView } from '../../workflow/ports.js';
import type { Phase } from '../../workflow/phase.js';
import { forEachHost } from '../../workflow/for-each-host.js';
import { addRow, healthyThroughVip, message, vipAddress, VIA_VIP_TIMEOUT_MS, type VerifyContext } from './verify-report.js';

/** The apiserver's /healthz through VIP:port from every connected node, verified against the cluster CA. */
export const verifyApiserverViaVipPhase: Phase<VerifyContext, ClusterView> = {
  id: 'verify-apiserver-via-vip',
  title: 'kube-apiserver /healthz through the VIP from every node',
  describe: ({ spec }) => ({ hosts: spec.nodes.map((n) => n.name), order: 'parallel', details: [] }),
  shouldRun: () => true,
  async run(ctx) {
    const connected = new Set(ctx.connected());
    const hosts = ctx.spec.nodes.filter((n) => connected.has(n.name));
    const vip = vipAddress(ctx.spec);
    await forEachHost(hosts, { limit: hosts.length, phase: this.id }, async (n) => {
      try {
        const ms = await healthyThroughVip(ctx, n.name, VIA_VIP_TIMEOUT_MS);
        addRow(ctx, 'apiserver via VIP', n.name, true, `https://${vip}:${ctx.spec.controlPlaneEndpoint.port}/healthz 200${ms > 0 ? ` after ${ms} ms` : ''}`);
      } catch (err) {
        addRow(ctx, 'apiserver via VIP', n.name, false, message(err));
      }
    });
  },
};
