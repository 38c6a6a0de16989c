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
import { startRecorded, takeTurn } from './operation-record.js';

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

/** What a reset would still forget or revoke, beside the hosts of the stored spec: empty once a reset finished. */
async function coordinatorLeftovers(rt: CoordinatorRuntime): Promise<string[]> {
  const left: string[] = [];
  const nodes = await rt.state.nodes.ids();
  if (nodes.length > 0) left.push(`node records (${nodes.join(', ')})`);
  if ((await rt.state.phases.ids()).length > 0) left.push('phase records');
  const set = await rt.backends.current();
  if (set.backends.length > 0) left.push(`backends (${set.backends.map((b) => b.name).join(', ')})`);
  const agents = (await rt.registry.list()).map((a) => a.name);
  if (agents.length > 0) left.push(`registered agents (${agents.join(', ')})`);
  return left;
}

/**
 * `coordinatorctl reset --yes`, and the resume of one a restart cut off: the same command while it runs follows it,
 * and its phases decide from reality, so a reset resumed after the spec was forgotten still revokes the agents, and
 * one run after a finished reset does nothing and says so.
 */
export async function startReset(rt: CoordinatorRuntime, options: { dryRun?: boolean; signal?: AbortSignal } = {}): Promise<Operation> {
  let resuming = false;
  if (!options.dryRun) {
    const turn = await takeTurn(rt, 'reset', rt.clusterName);
    if (turn.kind === 'attach') return turn.op;
    resuming = turn.kind === 'resume';
  }
  const spec = await storedSpec(rt);
  const work = async (emit: Parameters<typeof clusterContext>[2]) => {
    const logger = rt.logger.child({ component: 'reset' });
    const hosts = spec ? clusterContext(rt, spec, emit, { component: 'reset', ...(options.signal ? { signal: options.signal } : {}) }) : undefined;
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
      ...(options.signal ? { signal: options.signal } : {}),
      pathsOf: (node, kubeletDropIn) => resetPaths(spec!, node, kubeletDropIn),
      leftovers: () => coordinatorLeftovers(rt),
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
      if (await resetForgetPhase.shouldRun(ctx)) ctx.emit({ kind: 'plan', phase: resetForgetPhase.id, message: `would run: ${resetForgetPhase.title}` });
      return;
    }
    if (resuming) ctx.emit({ kind: 'progress', phase: 'resume', message: `resuming the reset of ${rt.clusterName} that a coordinator restart cut off` });
    const result = await runAction(RESET, ctx, rt.clusterName);
    if (result.ran.length === 0) {
      ctx.emit({
        kind: 'progress',
        phase: 'summary',
        message: `cluster ${rt.clusterName} has nothing to reset: no deployed spec, no node or phase records, no backends and no registered agents (already reset)`,
      });
    }
  };
  return options.dryRun
    ? rt.operations.dryRun('reset', rt.clusterName, work)
    : startRecorded(rt, { kind: 'reset', key: rt.clusterName, ...(options.signal ? { signal: options.signal } : {}) }, work);
}
