import { hostPrepFiles } from '../../../core/render/node-files.js';
import { forEachHost } from '../../workflow/for-each-host.js';
import { writeFiles } from '../../workflow/host-tasks.js';
import type { ClusterContext, ClusterView } from '../../workflow/ports.js';
import type { Phase } from '../../workflow/phase.js';

/** Registry credentials for kubelet and, where kubelet came from a tarball, its kubeadm drop-in. Idempotent writes. */
export const prepareHostsPhase: Phase<ClusterContext, ClusterView> = {
  id: 'prepare-hosts',
  title: 'Prepare hosts: registry auth for kubelet, kubelet drop-in',
  describe: (view) => ({ hosts: view.spec.nodes.map((n) => n.name), order: 'parallel', details: [] }),
  shouldRun: () => true,
  async run(ctx) {
    const hosts = [...ctx.plan.controlPlane, ...ctx.plan.workers];
    let changed = 0;
    await forEachHost(hosts, { limit: hosts.length, phase: 'prepare-hosts', ...(ctx.signal ? { signal: ctx.signal } : {}) }, async (node) => {
      const facts = ctx.agents.facts(node.name);
      const files = hostPrepFiles(ctx.plan, node, {
        kubeletDropIn: facts ? !facts.kubeletInstalledByPackageManager : false,
        ...(ctx.registryConfigJson !== undefined
          ? { registryConfigJson: ctx.registryConfigJson, registryConfigSource: ctx.spec.registryAuth?.configJson ?? 'registryAuth.configJson' }
          : {}),
      });
      if (files.length === 0) return;
      const result = await writeFiles(ctx.agents, node.name, files);
      changed += result.changedPaths.length;
      for (const path of result.changedPaths) ctx.emit({ kind: 'progress', phase: 'prepare-hosts', host: node.name, message: `wrote ${path}` });
    });
    return changed === 0 ? 'unchanged' : undefined;
  },
};
