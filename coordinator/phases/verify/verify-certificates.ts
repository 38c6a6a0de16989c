import { expiresWithin } from '../../../core/cert-lifetime.js';
import type { ClusterView } from '../../workflow/ports.js';
import type { Phase } from '../../workflow/phase.js';
import { forEachHost } from '../../workflow/for-each-host.js';
import { addRow, message, type VerifyContext } from './verify-report.js';

/**
 * Certificates, as warnings: kubeadm's on each control-plane node (certs check-expiration) and each kubelet's client
 * certificate. One expiring within 30 days, or gone, is a passing row that says `warning:` and what to run; an
 * expired one fails (the apiserver would refuse it). A node that cannot be asked is a failed row.
 */
export const verifyCertificatesPhase: Phase<VerifyContext, ClusterView> = {
  id: 'verify-certificates',
  title: 'Certificates: none expired, those within 30 days named',
  describe: ({ spec }) => ({ hosts: spec.nodes.map((n) => n.name), order: 'parallel', details: [] }),
  shouldRun: () => true,
  async run(ctx) {
    const connected = new Set(ctx.connected());
    const now = new Date();
    const hosts = ctx.spec.nodes.filter((n) => connected.has(n.name));
    // Each host reads its own files: nothing is shared to protect, so all at once, as the VIP check asks.
    await forEachHost(hosts, { limit: hosts.length, phase: this.id }, async (node) => {
      try {
        const r = await ctx.agents.runTask(node.name, 'certsCheck', { controlPlane: node.role === 'control-plane' }, { timeoutMs: 70_000 });
        const all = [...r.certificates, ...r.authorities, ...(r.kubeletClient ? [r.kubeletClient] : [])];
        const expired = all.filter((c) => c.notAfter && Date.parse(c.notAfter) <= now.getTime());
        const soon = all.filter((c) => c.notAfter && !expired.includes(c) && expiresWithin(new Date(c.notAfter), now));
        const missing = all.filter((c) => c.missing && c.name !== 'super-admin.conf');
        if (expired.length > 0)
          addRow(ctx, 'certificates', node.name, false, `expired: ${expired.map((c) => c.name).join(', ')}; coordinatorctl certs renew --node ${node.name}`);
        if (soon.length > 0)
          addRow(
            ctx,
            'certificates',
            node.name,
            true,
            `warning: expire within 30 days: ${soon.map((c) => `${c.name} (${c.notAfter.slice(0, 10)})`).join(', ')}; coordinatorctl certs renew`,
          );
        if (missing.length > 0) addRow(ctx, 'certificates', node.name, true, `warning: missing: ${missing.map((c) => c.name).join(', ')}`);
        if (expired.length + soon.length + missing.length === 0)
          addRow(ctx, 'certificates', node.name, true, `${all.length} certificates, none within 30 days of expiry`);
      } catch (err) {
        addRow(ctx, 'certificates', node.name, false, message(err));
      }
    });
  },
};
