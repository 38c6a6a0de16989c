/**
 * AdminService.RemoveNode: validates that the node can go (in the stored spec, its agent connected, another joined
 * control-plane node left to carry the cluster), then runs the remove-node phases as the 'remove-node' operation.
 */
import { PreconditionError, SpecError } from '../../core/errors.js';
import { findPlannedNode } from '../../core/plan.js';
import type { ClusterSpec } from '../../core/spec.js';
import { validateSpec } from '../../core/validate.js';
import type { CoordinatorRuntime } from '../daemon.js';
import { UNCHANGED } from '../state/store.js';
import { DEFAULT_REMOVE_TIMEOUTS, type RemoveContext } from '../phases/remove-context.js';
import { runRemoveNode } from '../phases/remove-node.js';
import { deployContext } from './context.js';
import type { Operation } from './operation.js';

/** The stored spec without `name`: what the cluster should be once the node is gone. */
export function specWithoutNode(spec: ClusterSpec, name: string): ClusterSpec {
  const next: ClusterSpec = { ...spec, nodes: spec.nodes.filter((n) => n.name !== name) };
  const { errors } = validateSpec(next);
  if (errors.length > 0) throw new SpecError(`the stored spec without ${name}`, errors);
  return next;
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
  if (!rt.hub.connectedAgents().some((a) => a.name === name)) {
    throw new PreconditionError(`the agent of ${name} is not connected; remove-node cleans the host through it (start kubeadm-ha-agent there, then retry)`);
  }
  if (specWithoutNode(spec, name).nodes.filter((n) => n.role === 'control-plane').length === 0) {
    throw new PreconditionError(`removing ${name} would leave no control-plane node in the spec`);
  }
}

export async function startRemoveNode(rt: CoordinatorRuntime, name: string): Promise<Operation> {
  const spec = (await rt.state.spec.get())?.value;
  if (!spec) throw new PreconditionError(`cluster ${rt.clusterName} has no deployed spec; nothing to remove`);
  const running = rt.operations.running();
  if (running?.kind === 'remove-node' && running.key === name) return running;
  await checkRemovable(rt, spec, name);
  return rt.operations.start('remove-node', name, async (emit) => {
    const base = deployContext(rt, spec, emit);
    const target = findPlannedNode(base.plan, name)!;
    const ctx: RemoveContext = {
      ...base,
      target,
      removeTimeouts: DEFAULT_REMOVE_TIMEOUTS,
      forgetInSpec: async () => {
        await rt.state.spec.update((current) => (current?.nodes.some((n) => n.name === name) ? specWithoutNode(current, name) : UNCHANGED));
      },
    };
    await runRemoveNode(ctx);
    emit({
      phase: 'summary',
      message: `${name} removed. The stored spec no longer lists it; remove it from your cluster.yaml too, or a later \`coordinatorctl deploy -f cluster.yaml\` adds it back. Its agent stays registered: \`coordinatorctl add-node\` can bring it back.`,
      level: 'LOG_LEVEL_INFO',
    });
  });
}
