import { KubeadmHaError } from '../../../core/errors.js';
import { forEachHost } from '../../workflow/for-each-host.js';
import { KUBELET_KUBECONFIG_PATH } from '../../../core/host/paths.js';
import { existingPaths, notJoined } from '../../workflow/host-tasks.js';
import type { ClusterContext, ClusterView } from '../../workflow/ports.js';
import type { Phase } from '../../workflow/phase.js';

/**
 * How long preflight listens for other VRRP routers: three of our advert intervals, and at least 3 s, so a router on
 * keepalived's default advert_int (1 s) is heard twice even with one advert lost.
 */
export function vrrpListenMs(advertIntervalMs: number): number {
  return Math.max(3_000, 3 * advertIntervalMs);
}

const unjoined = (ctx: ClusterContext) => notJoined(ctx, [...ctx.plan.controlPlane, ...ctx.plan.workers]);

/** Preflight on every host not yet in the cluster, all at once; joined hosts run Kubernetes and would fail the port checks. */
export const preflightPhase: Phase<ClusterContext, ClusterView> = {
  id: 'preflight',
  title: 'Preflight: kernel modules, sysctls, swap, time sync, names, ports, binaries, no leftover VIP',
  describe: (view) => ({ hosts: view.spec.nodes.map((n) => n.name), order: 'parallel', details: [] }),
  shouldRun: async (ctx) => (await unjoined(ctx)).length > 0,
  async run(ctx) {
    const e = ctx.spec.controlPlaneEndpoint;
    const hosts = await unjoined(ctx);
    await forEachHost(hosts, { limit: hosts.length, phase: 'preflight', ...(ctx.signal ? { signal: ctx.signal } : {}) }, async (node) => {
      const facts = ctx.agents.facts(node.name);
      if (facts && !facts.addresses.some((a) => a.address === node.address)) {
        throw new KubeadmHaError(
          `the spec gives address ${node.address}, but the host has ${facts.addresses.map((a) => a.address).join(', ') || 'no addresses'}; fix spec.nodes[].address`,
        );
      }
      // Joined but not recorded (a coordinator that died mid-join): its own components hold the ports; the join phase records it.
      if ((await existingPaths(ctx.agents, node.name, [KUBELET_KUBECONFIG_PATH])).length > 0) {
        ctx.emit({ kind: 'progress', phase: 'preflight', host: node.name, message: 'already part of the cluster (kubelet.conf present); skipping preflight' });
        return;
      }
      const runsLb = node.role === 'control-plane' && e.loadBalancer === 'keepalived-haproxy';
      const result = await ctx.agents.runTask(
        node.name,
        'preflight',
        {
          kubeProxyMode: ctx.spec.kubernetes.kubeProxyMode,
          kubernetesVersion: ctx.spec.kubernetes.version,
          vip: e.vip,
          lbPort: runsLb ? e.port : 0,
          apiserverPort: e.apiserverPort,
          isControlPlane: node.role === 'control-plane',
          nodeName: node.name,
          runsLoadBalancer: runsLb,
          vipInterface: '',
          nodeAddress: node.address,
          criSocket: ctx.spec.kubernetes.criSocket,
          virtualRouterId: runsLb ? ctx.plan.virtualRouterId : 0,
          vrrpListenMs: vrrpListenMs(e.keepalived.advertIntervalMs),
          clusterAddresses: ctx.spec.nodes.map((n) => n.address),
        },
        { timeoutMs: ctx.timeouts.preflightMs },
      );
      for (const warning of result.warnings) ctx.emit({ kind: 'progress', phase: 'preflight', host: node.name, message: `warning: ${warning}` });
    });
  },
};
