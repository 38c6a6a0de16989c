/**
 * Auto-join on boot (DESIGN, agent path step 5): an agent that registered with a valid token, is not in the
 * deployed spec and connects while the stored spec has `autoJoin.enabled` is added to the spec and joined by the
 * ordinary deploy phases, as a worker or as what its agent.yaml role says. Nobody types a command.
 *
 * It is an operation like any other (kind add-node), so it never runs beside a deploy, add-node, remove-node or
 * reset: when one is running, the join waits for it to finish and tries again. A failed join is retried with
 * backoff while the agent stays connected.
 */
import ipaddr from 'ipaddr.js';
import { PreconditionError } from '../../core/errors.js';
import type { ClusterSpec, NodeSpec, Role } from '../../core/spec.js';
import { dns1123LabelProblem } from '../../core/validate.js';
import type { HostFacts__Output } from '../../proto/generated/kubeadm_ha/v1/HostFacts.js';
import { clusterContext } from '../actions/cluster-context.js';
import { ADD_NODE } from '../actions/deploy.js';
import { storedSpec, type CoordinatorRuntime } from '../runtime.js';
import type { ConnectedAgent } from '../sessions.js';
import { runAction } from '../workflow/engine.js';

const RETRY_MS = [2_000, 5_000, 15_000, 30_000, 60_000];

export interface AutoJoin {
  stop(): void;
}

/** The host's address for the cluster: one in the VIP's subnet when the VIP has a prefix, else its first global IPv4. */
export function pickNodeAddress(spec: ClusterSpec, facts: HostFacts__Output | null): { address: string; interface: string } | undefined {
  const candidates = (facts?.addresses ?? []).filter((a) => {
    if (!ipaddr.isValid(a.address)) return false;
    const range = ipaddr.parse(a.address).range();
    return range !== 'loopback' && range !== 'linkLocal' && range !== 'unspecified';
  });
  const e = spec.controlPlaneEndpoint;
  if (e.vipPrefixLength !== undefined) {
    const vip = ipaddr.parse(e.vip);
    const inSubnet = candidates.find((a) => {
      const addr = ipaddr.parse(a.address);
      return addr.kind() === vip.kind() && addr.match(vip, e.vipPrefixLength!) && a.address !== e.vip;
    });
    if (inSubnet) return { address: inSubnet.address, interface: inSubnet.interface };
  }
  const v4 = candidates.find((a) => ipaddr.parse(a.address).kind() === 'ipv4' && a.address !== e.vip);
  return v4 ? { address: v4.address, interface: v4.interface } : undefined;
}

export function startAutoJoin(rt: CoordinatorRuntime): AutoJoin {
  const log = rt.logger.child({ component: 'auto-join' });
  const pending = new Map<string, NodeJS.Timeout | undefined>();
  const attempts = new Map<string, number>();
  let stopped = false;

  const later = (name: string, ms: number) => {
    if (stopped) return;
    clearTimeout(pending.get(name));
    const timer = setTimeout(() => void consider(name), ms);
    timer.unref();
    pending.set(name, timer);
  };

  const consider = async (name: string): Promise<void> => {
    pending.delete(name);
    if (stopped) return;
    const agent = rt.hub.connectedAgents().find((a) => a.name === name);
    if (!agent) return;
    const spec = await storedSpec(rt);
    if (!spec?.autoJoin.enabled) return;
    if (spec.nodes.some((n) => n.name === name)) return;
    if ((await rt.progress.node(name))?.joined) return;
    const problem = dns1123LabelProblem(name);
    if (problem) {
      log.warn({ host: name, problem }, 'not auto-joining: the agent name is not a valid node name');
      return;
    }
    const running = rt.operations.running();
    if (running) {
      log.info({ host: name, running: running.kind }, 'auto-join waits for the running operation');
      void running.done.finally(() => later(name, 500));
      return;
    }
    const picked = pickNodeAddress(spec, agent.facts);
    if (!picked) {
      log.warn({ host: name }, 'not auto-joining: the agent reported no usable address');
      return;
    }
    // The role in the agent's agent.yaml wins; without one, the spec's autoJoin.role.
    const hint = (await rt.state.agents.get(name))?.value.roleHint;
    const role: Role = hint === 'control-plane' || hint === 'worker' ? hint : spec.autoJoin.role;
    const node: NodeSpec = { name, address: picked.address, role, ...(picked.interface ? { interface: picked.interface } : {}) };
    const next: ClusterSpec = { ...spec, nodes: [...spec.nodes, node] };
    log.info({ host: name, address: node.address, role }, 'auto-joining a registered agent that is not in the spec');
    let op;
    try {
      const registry = await rt.readRegistryConfig();
      op = rt.operations.start('add-node', name, async (emit) => {
        emit({
          phase: 'auto-join',
          host: name,
          message: `auto-join: ${name} (${node.address}) registered and is not in the spec; joining it as ${role}`,
          level: 'LOG_LEVEL_INFO',
        });
        await runAction(ADD_NODE, clusterContext(rt, next, emit, { ...(registry !== undefined ? { registryConfigJson: registry } : {}) }), next.name);
      });
    } catch (err) {
      if (err instanceof PreconditionError) return later(name, 1_000);
      throw err;
    }
    // The desired state first, as add-node does: a coordinator restarted mid-join resumes with the node in the spec.
    await rt.state.spec.put(next);
    await op.done;
    const failed = op.events.find((e) => e.done && e.error);
    const joined = (await rt.progress.node(name))?.joined;
    if (joined && !failed) {
      attempts.delete(name);
      log.info({ host: name, role }, 'auto-join finished');
      return;
    }
    // Not joined: take the node back out of the spec so an operator's deploy is not blocked by it, and retry.
    const current = await storedSpec(rt);
    if (current) await rt.state.spec.put({ ...current, nodes: current.nodes.filter((n) => n.name !== name) });
    const n = attempts.get(name) ?? 0;
    attempts.set(name, n + 1);
    log.warn({ host: name, attempt: n + 1, err: failed?.message }, 'auto-join failed; retrying');
    later(name, RETRY_MS[Math.min(n, RETRY_MS.length - 1)]!);
  };

  const onConnect = (agent: ConnectedAgent) => {
    void consider(agent.name).catch((err: unknown) => {
      log.error({ host: agent.name, err: err instanceof Error ? err.message : String(err) }, 'auto-join failed');
      later(agent.name, RETRY_MS[RETRY_MS.length - 1]!);
    });
  };
  rt.hub.on('connect', onConnect);
  return {
    stop() {
      stopped = true;
      rt.hub.off('connect', onConnect);
      for (const t of pending.values()) clearTimeout(t);
      pending.clear();
    },
  };
}
