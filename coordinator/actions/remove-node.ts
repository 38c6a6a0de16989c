/**
 * remove-node: validates that the node can go (in the stored spec, its agent connected, another joined control-plane
 * node left to carry the cluster), waits for the agents it needs (after a coordinator restart they reconnect), then runs the removal phases as the 'remove-node' operation, in DESIGN.md's order
 * with the VIP moved first: traffic leaves the node (VIP, drain, backend) before Kubernetes does (kubectl, kubeadm
 * reset), and the host is cleaned and verified last.
 */
import { PreconditionError, SpecError } from '../../core/errors.js';
import { findPlannedNode } from '../../core/plan.js';
import type { ClusterSpec } from '../../core/spec.js';
import { validateSpec } from '../../core/validate.js';
import type { Operation } from '../admin/operations.js';
import { removeBackendPhase } from '../phases/remove-node/remove-backend.js';
import { removeDrainBackendPhase } from '../phases/remove-node/remove-drain-backend.js';
import { removeEtcdGatePhase } from '../phases/remove-node/remove-etcd-gate.js';
import { removeEtcdLeaderPhase } from '../phases/remove-node/remove-etcd-leader.js';
import { removeEtcdMemberPhase } from '../phases/remove-node/remove-etcd-member.js';
import { removeForgetPhase } from '../phases/remove-node/remove-forget.js';
import { removeKubeadmResetPhase } from '../phases/remove-node/remove-kubeadm-reset.js';
import { removeKubectlDrainPhase } from '../phases/remove-node/remove-kubectl-drain.js';
import { removeLoadBalancerPhase } from '../phases/remove-node/remove-load-balancer.js';
import { removeMoveVipPhase } from '../phases/remove-node/remove-move-vip.js';
import { DEFAULT_REMOVE_TIMEOUTS, type RemoveContext, type RemoveView } from '../phases/remove-node/remove-target.js';
import { removeVerifyPhase } from '../phases/remove-node/remove-verify.js';
import { removeVipPhase } from '../phases/remove-node/remove-vip.js';
import { removeWaitAgentsPhase } from '../phases/remove-node/remove-wait-agents.js';
import { storedSpec, type CoordinatorRuntime } from '../runtime.js';
import { UNCHANGED } from '../state/store.js';
import { dryRunPhases, runAction, type Action } from '../workflow/engine.js';
import { clusterContext } from './cluster-context.js';
import { startRecorded, takeTurn } from './operation-record.js';

export const REMOVE_NODE: Action<RemoveContext, RemoveView> = {
  kind: 'remove-node',
  phases: [
    removeWaitAgentsPhase,
    removeEtcdGatePhase,
    removeMoveVipPhase,
    removeDrainBackendPhase,
    removeBackendPhase,
    removeKubectlDrainPhase,
    removeEtcdLeaderPhase,
    removeEtcdMemberPhase,
    removeKubeadmResetPhase,
    removeLoadBalancerPhase,
    removeVipPhase,
    removeVerifyPhase,
    removeForgetPhase,
  ],
  resumeHint: 'Fix the cause, then run `coordinatorctl remove-node NAME` again: it continues where it stopped.',
};

/** The stored spec without `name`: what the cluster should be once the node is gone. */
export function specWithoutNode(spec: ClusterSpec, name: string): ClusterSpec {
  const next: ClusterSpec = { ...spec, nodes: spec.nodes.filter((n) => n.name !== name) };
  const { errors } = validateSpec(next);
  if (errors.length > 0) throw new SpecError(`the stored spec without ${name}`, errors);
  return next;
}

/**
 * Whether remove-node already revoked the node's agent. remove-forget revokes first and runs only after remove-verify
 * proved the host clean, so a revoked agent means every host-side phase is done (and no agent is left to ask).
 * A tombstone older than the agent's registration is a past removal the host came back from.
 */
export async function agentRevoked(rt: Pick<CoordinatorRuntime, 'state'>, name: string): Promise<boolean> {
  const tombstone = (await rt.state.tombstones.get(name))?.value;
  if (!tombstone) return false;
  const agent = (await rt.state.agents.get(name))?.value;
  return !agent || Date.parse(tombstone.revokedAt) >= Date.parse(agent.registeredAt);
}

async function checkRemovable(rt: CoordinatorRuntime, spec: ClusterSpec, name: string): Promise<void> {
  const node = spec.nodes.find((n) => n.name === name);
  if (!node) throw new PreconditionError(`${name} is not a node of cluster ${spec.name} (the stored spec lists ${spec.nodes.map((n) => n.name).join(', ')})`);
  const others = [];
  for (const n of spec.nodes) if (n.role === 'control-plane' && n.name !== name && (await rt.progress.node(n.name))?.joined) others.push(n.name);
  if (others.length === 0) {
    throw new PreconditionError(
      node.role === 'control-plane'
        ? `${name} is the only joined control-plane node; join another one first (add-node), or tear the whole cluster down with \`coordinatorctl reset\``
        : `no joined control-plane node is left to run kubectl for ${name}`,
    );
  }
  // A removal that failed after remove-forget revoked the agent has nothing left to do on the host: no agent needed.
  if (!rt.hub.connectedAgents().some((a) => a.name === name) && !(await agentRevoked(rt, name))) {
    throw new PreconditionError(`the agent of ${name} is not connected; remove-node cleans the host through it (start kubeadm-ha-agent there, then retry)`);
  }
  if (specWithoutNode(spec, name).nodes.filter((n) => n.role === 'control-plane').length === 0) {
    throw new PreconditionError(`removing ${name} would leave no control-plane node in the spec`);
  }
}

const removedMessage = (name: string) => `${name} is already removed: the stored spec no longer lists it and its agent is revoked; nothing to do`;

/**
 * `coordinatorctl remove-node NAME`, and the resume of one a restart cut off. The same command while it runs (or
 * while it waits to resume) follows it; any other operation meanwhile is refused. A removal that already finished
 * (the node gone from the spec, its agent revoked) succeeds again with nothing to do.
 */
export async function startRemoveNode(
  rt: CoordinatorRuntime,
  name: string,
  options: { dryRun?: boolean; signal?: AbortSignal; force?: boolean } = {},
): Promise<Operation> {
  let resuming = false;
  if (!options.dryRun) {
    const turn = await takeTurn(rt, 'remove-node', name);
    if (turn.kind === 'attach') return turn.op;
    resuming = turn.kind === 'resume';
  }
  const spec = await storedSpec(rt);
  const listed = spec?.nodes.some((n) => n.name === name) === true;
  const record = { kind: 'remove-node' as const, key: name, force: options.force === true, ...(options.signal ? { signal: options.signal } : {}) };
  if (!spec || !listed) {
    // remove-forget drops the node from the spec last: once it is gone from there, only the record was left to close.
    if (resuming || (!options.dryRun && listed === false && (await rt.state.tombstones.get(name))?.value.reason === 'remove-node')) {
      return startRecorded(rt, record, async (emit) => emit({ phase: 'summary', host: name, message: removedMessage(name), level: 'LOG_LEVEL_INFO' }));
    }
    if (!spec) throw new PreconditionError(`cluster ${rt.clusterName} has no deployed spec; nothing to remove`);
  }
  // A resumed removal is past these checks: it passed them when it started, and its phases now ask reality (a
  // revoked agent, a node already gone from the backend set or from Kubernetes).
  if (!resuming) await checkRemovable(rt, spec!, name);
  const work = async (emit: Parameters<typeof clusterContext>[2]) => {
    const base = clusterContext(rt, spec!, emit, {
      component: 'remove-node',
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.force ? { force: true } : {}),
    });
    const ctx: RemoveContext = {
      ...base,
      target: findPlannedNode(base.plan, name)!,
      removeTimeouts: DEFAULT_REMOVE_TIMEOUTS,
      forgetInSpec: async () => {
        await rt.state.spec.update((current) => (current?.nodes.some((n) => n.name === name) ? specWithoutNode(current, name) : UNCHANGED));
      },
      revokeAgent: async () => void (await rt.revokeAgent(name, 'remove-node')),
      targetRevoked: () => agentRevoked(rt, name),
    };
    if (options.dryRun) {
      await dryRunPhases(REMOVE_NODE.phases, ctx);
      return;
    }
    if (resuming) emit({ phase: 'resume', host: name, message: `resuming the removal of ${name} that a coordinator restart cut off`, level: 'LOG_LEVEL_INFO' });
    await runAction(REMOVE_NODE, ctx, name);
    const target = ctx.target.role;
    emit({
      phase: 'summary',
      message: `${name} removed. The stored spec no longer lists it; remove it from your cluster.yaml too, or a later \`coordinatorctl deploy -f cluster.yaml\` adds it back. Its agent is revoked: to bring the host back, give it a new token (\`coordinatorctl token create --node-name ${name}${target === 'control-plane' ? ' --role control-plane' : ''}\`), then add-node.`,
      level: 'LOG_LEVEL_INFO',
    });
  };
  return options.dryRun ? rt.operations.dryRun('remove-node', name, work) : startRecorded(rt, record, work);
}
