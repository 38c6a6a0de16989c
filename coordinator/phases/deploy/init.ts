import { ADMIN_KUBECONFIG_PATH as ADMIN_CONF } from '../../../core/host/paths.js';
import { controlPlaneEndpoint } from '../../../core/plan.js';
import { KUBEADM_CONFIG_PATH } from '../../../core/render/kubeadm-config.js';
import { kubeadmConfigFile, loadBalancerFiles } from '../../../core/render/node-files.js';
import { existingPaths, nodeInterface, writeFiles } from '../../workflow/host-tasks.js';
import type { ClusterContext, ClusterView } from '../../workflow/ports.js';
import type { Phase } from '../../workflow/phase.js';

export const initPhase: Phase<ClusterContext, ClusterView> = {
  id: 'init',
  title: 'kubeadm init --upload-certs',
  describe: ({ spec, plan }) => ({ hosts: [plan.initNode.name], order: 'single', details: [`controlPlaneEndpoint ${controlPlaneEndpoint(spec)}`] }),
  shouldRun: async (ctx) => !(await ctx.cluster.node(ctx.plan.initNode.name))?.joined,
  async run(ctx) {
    const m0 = ctx.plan.initNode;
    const emit = (message: string) => ctx.emit({ kind: 'progress', phase: 'init', host: m0.name, message });
    const apiserver = { address: m0.address, port: ctx.spec.controlPlaneEndpoint.apiserverPort, timeoutMs: ctx.timeouts.apiserverMs };
    // A coordinator that died during init finds admin.conf on master0: the init happened, do not run it twice.
    if ((await existingPaths(ctx.agents, m0.name, [ADMIN_CONF])).length === 0) {
      await writeFiles(ctx.agents, m0.name, [kubeadmConfigFile(ctx.plan, m0, {})]);
      emit('kubeadm init --upload-certs');
      await ctx.agents.runTask(
        m0.name,
        'kubeadmInit',
        { configPath: KUBEADM_CONFIG_PATH, certificateKey: '', ignorePreflightErrors: [] },
        {
          timeoutMs: ctx.timeouts.initMs,
          onProgress: (line) => emit(line),
        },
      );
    } else emit('already initialised (admin.conf present)');
    await ctx.agents.runTask(m0.name, 'waitApiserver', apiserver, { timeoutMs: apiserver.timeoutMs + 10_000 });
    if (ctx.spec.controlPlaneEndpoint.loadBalancer === 'kube-vip') {
      // kube-vip needed super-admin.conf while admin.conf had no RBAC yet (kube-vip#684); now it can use admin.conf.
      const current = await ctx.backends.current();
      await writeFiles(ctx.agents, m0.name, loadBalancerFiles(ctx.plan, m0, nodeInterface(ctx, m0), current, { phase: 'steady' }));
    }
    await ctx.cluster.putNode({ name: m0.name, role: 'control-plane', joined: true, joinedAt: new Date().toISOString() });
  },
  async cleanUp(ctx) {
    // A half-done init blocks the retry in kubeadm's own preflight (manifests exist); reset leaves our LB files alone.
    const m0 = ctx.plan.initNode;
    if ((await existingPaths(ctx.agents, m0.name, [ADMIN_CONF])).length > 0) return;
    await ctx.agents.runTask(m0.name, 'kubeadmReset', {}, { timeoutMs: ctx.timeouts.joinMs });
  },
};
