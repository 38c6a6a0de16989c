/**
 * Auto-join on boot (DESIGN, agent path step 5): an agent that registered with a valid token, is not in the
 * deployed spec and connects while the stored spec has `autoJoin.enabled` is added to the spec and joined by the
 * ordinary deploy phases, with the role its token admitted. A control-plane host joins by itself only when the spec
 * allows it (core/auto-join-policy.ts); otherwise it waits as pending until `coordinatorctl nodes approve`.
 *
 * It is an operation like any other (kind add-node), so it never runs beside a deploy, add-node, remove-node or
 * reset: when one is running, the join waits for it to finish and tries again. A failed join is retried with
 * backoff while the agent stays connected.
 */
import ipaddr from 'ipaddr.js';
import { autoJoinDecision } from '../../core/auto-join-policy.js';
import { PreconditionError } from '../../core/errors.js';
import type { ClusterSpec, NodeSpec, Role } from '../../core/spec.js';
import { dns1123LabelProblem } from '../../core/validate.js';
import type { HostFacts__Output } from '../../proto/generated/kubeadm_ha/v1/HostFacts.js';
import { runAddNode } from '../actions/add-node.js';
import { startRecorded, takeTurn } from '../actions/operation-record.js';
import { storedSpec, type CoordinatorRuntime } from '../runtime.js';
import type { ConnectedAgent } from '../sessions.js';
import type { Operation } from './operations.js';

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

/** A connected, registered host that is not in `spec` and not joined, with the role it registered with; else why not. */
async function joinCandidate(
  rt: CoordinatorRuntime,
  spec: ClusterSpec,
  name: string,
): Promise<{ agent: ConnectedAgent; role: Role; address: { address: string; interface: string } } | { refused: string }> {
  const agent = rt.hub.connectedAgents().find((a) => a.name === name);
  if (!agent) return { refused: `the agent of ${name} is not connected` };
  if (spec.nodes.some((n) => n.name === name)) return { refused: `${name} is already in the spec` };
  if ((await rt.progress.node(name))?.joined) return { refused: `${name} is already joined` };
  const problem = dns1123LabelProblem(name);
  if (problem) return { refused: `the agent name is not a valid node name: ${problem}` };
  const registered = (await rt.state.agents.get(name))?.value;
  if (!registered) return { refused: `${name} is not registered` };
  if (await rt.state.tombstones.get(name)) return { refused: `${name} was revoked` };
  const picked = pickNodeAddress(spec, agent.facts);
  if (!picked) return { refused: 'the agent reported no usable address' };
  // Set at Register from the token's role, which the agent's hint can only lower: never raised here.
  const role: Role = registered.roleHint === 'control-plane' ? 'control-plane' : 'worker';
  return { agent, role, address: picked };
}

/**
 * Adds `name` to the spec and joins it, as the 'add-node' operation. Resolves once it started; `joined` once it ended
 * (a failed join takes the node back out of the spec, runAddNode). Throws PreconditionError when another operation
 * holds the turn.
 */
async function joinRegisteredHost(
  rt: CoordinatorRuntime,
  spec: ClusterSpec,
  name: string,
  role: Role,
  picked: { address: string; interface: string },
  why: string,
): Promise<{ op: Operation; joined: Promise<boolean> }> {
  const node: NodeSpec = { name, address: picked.address, role, ...(picked.interface ? { interface: picked.interface } : {}) };
  const next: ClusterSpec = { ...spec, nodes: [...spec.nodes, node] };
  // Not beside an operation a restart cut off and that has not resumed yet: it holds the turn as much as a running one.
  const turn = await takeTurn(rt, 'add-node', name);
  if (turn.kind !== 'fresh') throw new PreconditionError(`an add-node of ${name} is already ${turn.kind === 'attach' ? 'running' : 'resuming'}`);
  // Recorded with its spec, as add-node is: a coordinator restarted mid-join resumes it (and tidies the spec if it fails).
  const op = startRecorded(rt, { kind: 'add-node', key: name, spec: next, autoJoin: true }, async (emit) => {
    emit({ phase: 'auto-join', host: name, message: `${why}: ${name} (${node.address}) joins as ${role}`, level: 'LOG_LEVEL_INFO' });
    await runAddNode(rt, next, name, emit, { autoJoin: true });
  });
  const joined = (async () => {
    await op.done;
    const failed = op.events.find((e) => e.done && e.error);
    return (await rt.progress.node(name))?.joined === true && !failed;
  })();
  return { op, joined };
}

/**
 * `coordinatorctl nodes approve NAME`: the operator's explicit yes for a host auto-join holds back. It joins with the
 * role the host registered with (its token's), never more. Who may cause it: an admin.
 */
export async function approveNode(rt: CoordinatorRuntime, name: string): Promise<Operation> {
  const spec = await storedSpec(rt);
  if (!spec) throw new PreconditionError('no cluster has been deployed yet: run coordinatorctl deploy -f cluster.yaml first');
  const candidate = await joinCandidate(rt, spec, name);
  if ('refused' in candidate) throw new PreconditionError(`cannot approve ${name}: ${candidate.refused}`);
  const { op, joined } = await joinRegisteredHost(rt, spec, name, candidate.role, candidate.address, 'approved by an operator');
  // The operator follows the operation; the spec clean-up after a failed join only needs logging if it fails itself.
  joined.catch((err: unknown) => rt.logger.error({ host: name, err: err instanceof Error ? err.message : String(err) }, 'approved join: cannot tidy the spec'));
  return op;
}

/** Why a registered host waits (for `coordinatorctl nodes`), or undefined when it does not. */
export async function pendingReason(rt: CoordinatorRuntime, spec: ClusterSpec | undefined, name: string): Promise<string | undefined> {
  if (!spec) return undefined;
  const candidate = await joinCandidate(rt, spec, name);
  if ('refused' in candidate) return undefined;
  const decision = autoJoinDecision(spec, name, candidate.role);
  return decision.kind === 'pending' ? decision.reason : undefined;
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
    const spec = await storedSpec(rt);
    if (!spec?.autoJoin.enabled) return;
    const candidate = await joinCandidate(rt, spec, name);
    if ('refused' in candidate) {
      log.debug({ host: name, reason: candidate.refused }, 'not auto-joining');
      return;
    }
    const decision = autoJoinDecision(spec, name, candidate.role);
    if (decision.kind === 'pending') {
      log.warn({ host: name, reason: decision.reason }, 'host waits as pending');
      return;
    }
    const running = rt.operations.running();
    if (running) {
      log.info({ host: name, running: running.kind }, 'auto-join waits for the running operation');
      void running.done.finally(() => later(name, 500));
      return;
    }
    log.info({ host: name, address: candidate.address.address, role: decision.role }, 'auto-joining a registered agent that is not in the spec');
    let started;
    try {
      started = await joinRegisteredHost(rt, spec, name, decision.role, candidate.address, 'auto-join: registered and not in the spec');
    } catch (err) {
      if (err instanceof PreconditionError) return later(name, 1_000);
      throw err;
    }
    if (await started.joined) {
      attempts.delete(name);
      log.info({ host: name, role: decision.role }, 'auto-join finished');
      return;
    }
    const failed = started.op.events.find((e) => e.done && e.error);
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
