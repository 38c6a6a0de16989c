/**
 * AdminService.Reset: tears the cluster down on every node at once. Per node, in the cleanup script's order:
 * `kubeadm reset -f`, keepalived/haproxy stopped, every file of ours removed, the VIP deleted, then a check that
 * nothing is left. Afterwards the coordinator forgets the cluster (spec, node and phase records) and publishes an
 * empty backend set as the next version (versions never go back, or agents would ignore the next deploy's sets).
 * Agent registrations stay: the same hosts can be deployed again without new tokens.
 */
import { withBackends } from '../../core/backend-set.js';
import { KubeadmHaError } from '../../core/errors.js';
import { planCluster, vipCidr, type PlannedNode } from '../../core/plan.js';
import { cleanupPaths } from '../../core/render/cleanup.js';
import { loadBalancerPaths } from '../../core/render/load-balancer.js';
import type { ClusterSpec } from '../../core/spec.js';
import { forEachHost } from '../concurrency.js';
import type { CoordinatorRuntime } from '../daemon.js';
import type { AgentGateway } from '../deploy/context.js';
import { existingPaths, stopLoadBalancerAndWait, writeFiles } from '../deploy/tasks.js';
import { DEFAULT_REMOVE_TIMEOUTS, removalPaths } from '../phases/remove-context.js';
import { agentGateway } from './context.js';
import type { Operation } from './operation.js';
import type { DeployEvent } from '../../proto/generated/kubeadm_ha/v1/DeployEvent.js';

const KUBEADM_TRACES = ['/etc/kubernetes/kubelet.conf', '/etc/kubernetes/admin.conf', '/etc/kubernetes/manifests/etcd.yaml', '/var/lib/kubelet/config.yaml'];

/** Every path of ours on `node`: the cleanup script's list (host files we wrote included) and the removal list. */
export function resetPaths(spec: ClusterSpec, node: PlannedNode, kubeletDropIn: boolean): string[] {
  const plan = planCluster(spec);
  const { staticPodManifests, files } = cleanupPaths({
    lbPaths: loadBalancerPaths({ plan, node, interface: '' }),
    written: { registryAuth: spec.registryAuth !== undefined, kubeletDropIn, kubeletUnit: false },
  });
  return [...new Set([...staticPodManifests, ...files, ...removalPaths({ plan, target: node })])];
}

async function resetHost(agents: AgentGateway, spec: ClusterSpec, node: PlannedNode, emit: (e: DeployEvent) => void): Promise<void> {
  const say = (message: string) => emit({ phase: 'reset', host: node.name, message, level: 'LOG_LEVEL_INFO' });
  if ((await existingPaths(agents, node.name, KUBEADM_TRACES)).length > 0) {
    await agents.runTask(node.name, 'kubeadmReset', {}, { timeoutMs: 15 * 60_000 });
    say('kubeadm reset -f');
  }
  await stopLoadBalancerAndWait(agents, node.name, spec, DEFAULT_REMOVE_TIMEOUTS.lbStopMs, say);
  const facts = agents.facts(node.name);
  const paths = resetPaths(spec, node, facts ? !facts.kubeletInstalledByPackageManager : false);
  const removed = await writeFiles(agents, node.name, [], paths);
  for (const path of removed.changedPaths) say(`removed ${path}`);
  const e = spec.controlPlaneEndpoint;
  await agents.runTask(node.name, 'removeVip', { vip: e.vip, prefixLength: Number(vipCidr(spec).split('/')[1]), interface: node.interface ?? '' }, { onProgress: say });
  const left = await agents.runTask(node.name, 'verifyClean', { paths, vip: e.vip, firewallHold: true });
  if (left.leftovers.length > 0) throw new KubeadmHaError(`not clean:\n${left.leftovers.map((l) => `  ${l.kind}: ${l.detail}`).join('\n')}`, { host: node.name });
  say('clean');
}

export async function startReset(rt: CoordinatorRuntime): Promise<Operation> {
  const running = rt.operations.running();
  if (running?.kind === 'reset') return running;
  const spec = (await rt.state.spec.get())?.value;
  return rt.operations.start('reset', rt.clusterName, async (emit) => {
    const set = await rt.backends.current();
    if (spec) {
      const plan = planCluster(spec);
      const nodes = [...plan.controlPlane, ...plan.workers];
      emit({ phase: 'reset', message: `resetting ${nodes.length} nodes: ${nodes.map((n) => n.name).join(', ')}`, level: 'LOG_LEVEL_INFO' });
      await forEachHost(nodes, { limit: nodes.length, phase: 'reset' }, (node) => resetHost(agentGateway(rt.hub), spec, node, emit));
    } else emit({ phase: 'reset', message: 'no deployed spec: no host to reset', level: 'LOG_LEVEL_INFO' });
    const emptied = withBackends(set, []);
    if (emptied.version !== set.version) await rt.backends.publish(emptied);
    for (const id of await rt.state.nodes.ids()) await rt.state.nodes.delete(id);
    for (const id of await rt.state.phases.ids()) await rt.state.phases.delete(id);
    await rt.state.spec.delete();
    emit({
      phase: 'summary',
      message: `cluster ${rt.clusterName} reset: node and phase records and the stored spec cleared; backend set v${emptied.version} is empty; agent registrations kept`,
      level: 'LOG_LEVEL_INFO',
    });
  });
}
