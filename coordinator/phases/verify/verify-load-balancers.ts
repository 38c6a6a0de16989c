import { HAPROXY_CFG_PATH, KEEPALIVED_CONF_PATH, STATIC_POD_MANIFESTS_DIR } from '../../../core/host/paths.js';
import type { ClusterView } from '../../workflow/ports.js';
import type { Phase } from '../../workflow/phase.js';
import { addRow, controlPlaneNames, message, probeHost, TASK_TIMEOUT_MS, vipAddress, type VerifyContext } from './verify-report.js';

/**
 * On every control-plane node: keepalived's and haproxy's configuration (and static pods) in place, haproxy answering
 * on its admin socket, and every backend UP, as many as the backend set lists. Also notes who holds the VIP.
 */
export const verifyLoadBalancersPhase: Phase<VerifyContext, ClusterView> = {
  id: 'verify-load-balancers',
  title: 'Every control-plane node: keepalived and haproxy in place, every haproxy backend UP',
  describe: ({ spec }) => ({ hosts: controlPlaneNames(spec), order: 'sequential', details: [] }),
  shouldRun: () => true,
  async run(ctx) {
    const connected = new Set(ctx.connected());
    const vip = vipAddress(ctx.spec);
    const backendSet = await ctx.backends.current();
    const runtime = ctx.spec.controlPlaneEndpoint.runAs;
    const files =
      runtime === 'static-pod'
        ? [KEEPALIVED_CONF_PATH, HAPROXY_CFG_PATH, `${STATIC_POD_MANIFESTS_DIR}/keepalived.yaml`, `${STATIC_POD_MANIFESTS_DIR}/haproxy.yaml`]
        : [KEEPALIVED_CONF_PATH, HAPROXY_CFG_PATH];
    for (const host of controlPlaneNames(ctx.spec)) {
      if (!connected.has(host)) {
        addRow(ctx, 'load balancer', host, false, 'agent not connected');
        continue;
      }
      try {
        const probe = await probeHost(ctx, host, files, vip);
        const missing = files.filter((f) => !probe.present.has(f) && f.includes('keepalived'));
        addRow(ctx, 'keepalived', host, missing.length === 0, missing.length > 0 ? `missing ${missing.join(', ')}` : `configured (${runtime})`);
        if (probe.holdsVip) ctx.report.holders.push(host);
      } catch (err) {
        addRow(ctx, 'keepalived', host, false, message(err));
      }
      try {
        const status = await ctx.agents.runTask(host, 'lbStatus', {}, { timeoutMs: TASK_TIMEOUT_MS });
        const servers = status?.servers ?? [];
        addRow(ctx, 'haproxy', host, true, `answering on its admin socket, backend set v${Number(status?.appliedVersion ?? 0)}`);
        const down = servers.filter((s) => !['running', 'UP'].includes(s.state) || !['ready', ''].includes(s.checkStatus));
        const expected = backendSet.backends.length;
        const ok = down.length === 0 && servers.length === expected && expected > 0;
        const counts = `${servers.length - down.length}/${servers.length} UP${servers.length !== expected ? ` (backend set has ${expected})` : ''}`;
        addRow(
          ctx,
          'backends UP',
          host,
          ok,
          `${counts}${down.length ? `; not UP: ${down.map((s) => `${s.name}=${s.state}/${s.checkStatus}`).join(', ')}` : ''}`,
        );
      } catch (err) {
        addRow(ctx, 'haproxy', host, false, `not answering: ${message(err)}`);
      }
    }
  },
};
