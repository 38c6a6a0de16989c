import { hostPrepFiles } from '../../core/render/node-files.js';
import { forEachHost } from '../concurrency.js';
import type { DeployContext } from '../deploy/context.js';
import { writeFiles } from '../deploy/tasks.js';
import type { Phase } from './phase.js';

/** Registry credentials for kubelet and, where kubelet came from a tarball, its kubeadm drop-in. Idempotent writes. */
export const prepareHosts: Phase<DeployContext> = {
  id: 'prepare-hosts',
  title: 'Prepare hosts: registry auth for kubelet, kubelet drop-in',
  shouldRun: () => true,
  async run(ctx) {
    const hosts = [...ctx.plan.controlPlane, ...ctx.plan.workers];
    let changed = 0;
    await forEachHost(hosts, { limit: hosts.length, phase: 'prepare-hosts', ...(ctx.signal ? { signal: ctx.signal } : {}) }, async (node) => {
      const facts = ctx.agents.facts(node.name);
      const files = hostPrepFiles(ctx.plan, node, {
        kubeletDropIn: facts ? !facts.kubeletInstalledByPackageManager : false,
        ...(ctx.registryConfigJson !== undefined ? { registryConfigJson: ctx.registryConfigJson, registryConfigSource: ctx.spec.registryAuth?.configJson ?? 'registryAuth.configJson' } : {}),
      });
      if (files.length === 0) return;
      const result = await writeFiles(ctx.agents, node.name, files);
      changed += result.changedPaths.length;
      for (const path of result.changedPaths) ctx.emit({ kind: 'progress', phase: 'prepare-hosts', host: node.name, message: `wrote ${path}` });
    });
    return changed === 0 ? 'unchanged' : undefined;
  },
};
