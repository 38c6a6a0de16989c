/**
 * A lab wired as a control plane's load-balancer layer: the product's keepalived/haproxy files (core/render)
 * for every control-plane host, an HTTPS stand-in apiserver on each host's :6443 behind them, and a kubelet
 * stand-in per host running the daemons.
 */
import { parseSpecYaml } from '../../core/spec.js';
import { planCluster, type ClusterPlan } from '../../core/plan.js';
import { renderLoadBalancerFiles } from '../../core/render/load-balancer.js';
import type { RenderedFile } from '../../core/render/types.js';
import { installHostFiles } from '../kubelet-standin/host-files.js';
import type { Lab } from './harness.js';

export interface LbClusterOptions {
  readonly name?: string;
  readonly vip: string;
  readonly runAs: 'static-pod' | 'systemd';
  readonly virtualRouterId: number;
  readonly port?: number;
}

/** The cluster spec for the lab's hosts, all control-plane nodes on eth0, defaults elsewhere. */
export function planForLab(lab: Lab, o: LbClusterOptions): ClusterPlan {
  const nodes = lab.hosts
    .map((h) => `    - name: ${h.name}\n      address: ${h.address}\n      role: control-plane\n      interface: ${h.interface}`)
    .join('\n');
  const spec = parseSpecYaml(
    `apiVersion: kubeadm-ha.io/v1alpha1
kind: Cluster
metadata:
  name: ${o.name ?? 'lab'}
spec:
  kubernetes:
    version: v1.31.4
  controlPlaneEndpoint:
    vip: ${o.vip}
    port: ${o.port ?? 8443}
    runAs: ${o.runAs}
    keepalived:
      virtualRouterId: ${o.virtualRouterId}
  nodes:
${nodes}
`,
    `${lab.name}.yaml`,
  );
  return planCluster(spec, { authPass: 'labpass1' });
}

export function renderForHost(plan: ClusterPlan, host: string): RenderedFile[] {
  const node = plan.controlPlane.find((n) => n.name === host);
  if (!node) throw new Error(`${host} is not a control-plane node of the plan`);
  return renderLoadBalancerFiles({ plan, node, interface: node.interface ?? 'eth0' });
}

/** Writes every host's files; static pod manifests last, as the agent does (configuration before the pod). */
export function installLoadBalancerFiles(lab: Lab, plan: ClusterPlan): void {
  for (const h of lab.hosts) {
    const files = renderForHost(plan, h.name);
    const manifests = files.filter((f) => f.path.startsWith('/etc/kubernetes/manifests/'));
    installHostFiles(
      h.root,
      files.filter((f) => !manifests.includes(f)),
    );
    installHostFiles(h.root, manifests);
  }
}
