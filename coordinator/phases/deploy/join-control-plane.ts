/**
 * Joining the other control-plane nodes, strictly one at a time: etcd admits one learner, and a failed join must stop
 * the line, not race the next one. Each join follows the field notes: a fresh certificate key and re-upload right
 * before the join (kubeadm-certs expires after 2 h), a short-lived CA-pinned token, the node's LB files first, the
 * join, then the health wait while the token and the certs secret are deleted again, then the backend set.
 */
import { addBackend, type BackendSet } from '../../../core/backend-set.js';
import { IGNORE_MANIFESTS_DIR } from '../../../core/kubeadm/argv.js';
import type { PlannedNode } from '../../../core/plan.js';
import { KUBEADM_CONFIG_PATH } from '../../../core/render/kubeadm-config.js';
import { kubeadmConfigFile, loadBalancerFiles, type JoinCredentials } from '../../../core/render/node-files.js';
import { gateControlPlaneJoin, stackedEtcd } from '../../workflow/etcd.js';
import { forEachHost } from '../../workflow/for-each-host.js';
import { nodeInterface, notJoined, writeFiles } from '../../workflow/host-tasks.js';
import type { ClusterContext, ClusterView } from '../../workflow/ports.js';
import type { Phase } from '../../workflow/phase.js';
import {
  controlPlaneRunner,
  isCertificateKeyFailure,
  joinState,
  mintCredentials,
  revokeCredentials,
  scrubJoinCredentials,
  settledBoth,
  waitNodeReady,
} from './join-credentials.js';

const pending = (ctx: ClusterContext) => notJoined(ctx, ctx.plan.controlPlane.slice(1));

export const joinControlPlanePhase: Phase<ClusterContext, ClusterView> = {
  id: 'join-control-plane',
  title: 'Join control-plane nodes one at a time (etcd admits one learner at a time)',
  describe: ({ plan }) => ({
    hosts: plan.controlPlane.slice(1).map((n) => n.name),
    order: 'sequential',
    details: plan.controlPlane
      .slice(1)
      .map(
        (n) =>
          `${n.name}: fresh certificate key + upload-certs, short-lived token, LB files (priority ${n.priority}), join, wait healthy, publish backends, delete token and kubeadm-certs`,
      ),
  }),
  shouldRun: async (ctx) => (await pending(ctx)).length > 0,
  async run(ctx) {
    const nodes = await pending(ctx);
    await forEachHost(nodes, { limit: 1, phase: 'join-control-plane', stopOnFirstFailure: true, ...(ctx.signal ? { signal: ctx.signal } : {}) }, (node) =>
      joinControlPlaneNode(ctx, node),
    );
  },
};

function waitApiserver(ctx: ClusterContext, node: PlannedNode) {
  const { apiserverMs } = ctx.timeouts;
  return ctx.agents.runTask(
    node.name,
    'waitApiserver',
    { address: node.address, port: ctx.spec.controlPlaneEndpoint.apiserverPort, timeoutMs: apiserverMs },
    { timeoutMs: apiserverMs + 10_000 },
  );
}

export async function joinControlPlaneNode(ctx: ClusterContext, node: PlannedNode): Promise<void> {
  const emit = (message: string) => ctx.emit({ kind: 'progress', phase: 'join-control-plane', host: node.name, message });
  const backend = { name: node.name, address: node.address, port: ctx.spec.controlPlaneEndpoint.apiserverPort };
  const withNode = (set: BackendSet) => addBackend(set, backend);
  const join = await joinState(ctx, node);
  if (join.state === 'joined') {
    // A coordinator that died after the join but before recording it: confirm health and record, never join twice.
    emit(`already joined (${join.detail}); checking its apiserver`);
    await waitApiserver(ctx, node);
  } else {
    if (join.state === 'cut-off') {
      // A join killed half-way (agent or host killed): kubeadm's preflight refuses kubelet.conf, and the etcd member may
      // or may not be there; reset takes the node back to clean, as after a failed attempt below.
      emit(`an earlier join was cut off here (${join.detail}): kubeadm reset before joining again`);
      await ctx.agents.runTask(node.name, 'kubeadmReset', {}, { timeoutMs: ctx.timeouts.joinMs });
    }
    // Right before the join, as before every one (the previous join changed the membership): a dangling member with
    // this node's peer URL is removed, then etcd must be healthy (etcd-health-gate checked before the first).
    if (stackedEtcd(ctx.spec)) await gateControlPlaneJoin(ctx, node, 'join-control-plane');
    const runner = await controlPlaneRunner(ctx, node.name);
    const iface = nodeInterface(ctx, node);
    const lbSet = withNode(await ctx.backends.current());
    let credentials: JoinCredentials | undefined;
    // The token and the kubeadm-certs Secret are deleted, and the node's kubeadm.yaml keeps its JoinConfiguration for
    // reference without them; each step logs its own failure and none rejects.
    const cleanUp = async () => {
      await revokeCredentials(ctx, runner, credentials, { certsSecret: true });
      await scrubJoinCredentials(ctx, node);
    };
    try {
      for (let attempt = 1; ; attempt++) {
        // Written on every attempt: a `kubeadm reset` between attempts empties /etc/kubernetes/manifests.
        emit(`writing load-balancer files (priority ${node.priority})`);
        await writeFiles(ctx.agents, node.name, loadBalancerFiles(ctx.plan, node, iface, lbSet));
        emit(
          attempt === 1
            ? `minting a certificate key and a ${Math.round(ctx.joinTokenTtlMs / 60_000)}-minute token on ${runner.name}`
            : 'certificate key expired before the join: re-uploading with a fresh key',
        );
        if (credentials) await revokeCredentials(ctx, runner, credentials);
        credentials = await mintCredentials(ctx, runner, true, ctx.joinTokenTtlMs);
        await writeFiles(ctx.agents, node.name, [kubeadmConfigFile(ctx.plan, node, { joinCredentials: credentials })]);
        emit('kubeadm join --control-plane');
        try {
          await ctx.agents.runTask(
            node.name,
            'kubeadmJoin',
            { configPath: KUBEADM_CONFIG_PATH, ignorePreflightErrors: [IGNORE_MANIFESTS_DIR] },
            { timeoutMs: ctx.timeouts.joinMs, onProgress: (line) => emit(line) },
          );
          break;
        } catch (err) {
          if (attempt >= 2 || !isCertificateKeyFailure(err)) throw err;
          // The failed join stopped at download-certs; reset so the retry starts from a clean node.
          await ctx.agents.runTask(node.name, 'kubeadmReset', {}, { timeoutMs: ctx.timeouts.joinMs });
        }
      }
    } catch (err) {
      await cleanUp();
      throw err;
    }
    // The cleanup (a kubeadm and a kubectl run on the runner, two file writes) runs while the node comes up.
    await settledBoth(
      cleanUp(),
      (async () => {
        emit('waiting for its kube-apiserver to be healthy');
        await waitApiserver(ctx, node);
        emit('waiting for its Node to be registered and Ready');
        await waitNodeReady(ctx, node, ctx.timeouts.apiserverMs);
      })(),
    );
  }
  const published = await ctx.backends.update(withNode);
  emit(`backend set v${published.version} published`);
  await ctx.cluster.putNode({ name: node.name, role: 'control-plane', joined: true, joinedAt: new Date().toISOString() });
}
