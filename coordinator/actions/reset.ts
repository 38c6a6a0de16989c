/**
 * reset: tears the cluster down on every node at once, with the host-cleaning phases of remove-node per node, then
 * forgets the cluster and revokes every agent: deploying the hosts again takes new bootstrap tokens.
 */
import { planCluster, type PlannedNode } from '../../core/plan.js';
import { cleanupPaths } from '../../core/render/cleanup.js';
import { loadBalancerPaths } from '../../core/render/load-balancer.js';
import type { ClusterSpec } from '../../core/spec.js';
import type { Operation } from '../admin/operations.js';
import { removalPaths } from '../phases/remove-node/remove-target.js';
import { resetForgetPhase } from '../phases/reset/reset-forget.js';
import { resetHostsPhase } from '../phases/reset/reset-hosts.js';
import type { ResetContext } from '../phases/reset/reset-target.js';
import { storedSpec, type CoordinatorRuntime } from '../runtime.js';
import { dryRunPhases, runAction, type Action } from '../workflow/engine.js';
import { UNRECORDED } from '../workflow/phase.js';
import type { ClusterView } from '../workflow/ports.js';
import { clusterContext, toDeployEvent } from './cluster-context.js';

export const RESET: Action<ResetContext, ClusterView> = {
  kind: 'reset',
  phases: [resetHostsPhase, resetForgetPhase],
  resumeHint: 'Fix the cause, then run `coordinatorctl reset --yes` again.',
};

/** Every path of ours on `node`: the cleanup script's list (host files we wrote included) and the removal list. */
export function resetPaths(spec: ClusterSpec, node: PlannedNode, kubeletDropIn: boolean): string[] {
  const plan = planCluster(spec);
  const { staticPodManifests, files } = cleanupPaths({
    lbPaths: loadBalancerPaths({ plan, node, interface: '' }),
    written: { registryAuth: spec.registryAuth !== undefined, kubeletDropIn, kubeletUnit: false },
  });
  return [...new Set([...staticPodManifests, ...files, ...removalPaths({ plan, target: node })])];
}

export async function startReset(rt: CoordinatorRuntime, options: { dryRun?: boolean } = {}): Promise<Operation> {
  const running = rt.operations.running();
  if (running?.kind === 'reset' && !options.dryRun) return running;
  const spec = await storedSpec(rt);
  const work = async (emit: Parameters<typeof clusterContext>[2]) => {
    const logger = rt.logger.child({ component: 'reset' });
    const hosts = spec ? clusterContext(rt, spec, emit, { component: 'reset' }) : undefined;
    const ctx: ResetContext = {
      clusterName: rt.clusterName,
      ...(hosts ? { hosts } : {}),
      backends: rt.backends,
      // Nothing recorded: reset-forget clears every phase record, and status after a reset shows none.
      progress: UNRECORDED,
      logger,
      emit: (e) => {
        logger.info({ phase: e.phase, host: e.host, kind: e.kind }, e.message);
        emit(toDeployEvent(e));
      },
      pathsOf: (node, kubeletDropIn) => resetPaths(spec!, node, kubeletDropIn),
      forgetCluster: async () => {
        for (const id of await rt.state.nodes.ids()) await rt.state.nodes.delete(id);
        for (const id of await rt.state.phases.ids()) await rt.state.phases.delete(id);
        await rt.state.spec.delete();
      },
      revokeAgents: async () => {
        const names = (await rt.registry.list()).map((a) => a.name);
        for (const name of names) await rt.revokeAgent(name, 'reset');
        return names;
      },
    };
    if (options.dryRun) {
      if (hosts) await dryRunPhases<ResetContext & ClusterView, ClusterView>([resetHostsPhase], { ...ctx, ...hosts, progress: UNRECORDED, emit: ctx.emit });
      ctx.emit({ kind: 'plan', phase: resetForgetPhase.id, message: `would run: ${resetForgetPhase.title}` });
      return;
    }
    await runAction(RESET, ctx, rt.clusterName);
  };
  return options.dryRun ? rt.operations.dryRun('reset', rt.clusterName, work) : rt.operations.start('reset', rt.clusterName, work);
}
