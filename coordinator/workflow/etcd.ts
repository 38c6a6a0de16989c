/**
 * etcd as the control-plane nodes' agents see it, for verify, the health gates and `coordinatorctl etcd`: every
 * question goes to a node's own agent (EtcdStatus, read-only, with the node's own etcd client certificate), and
 * core/etcd/health.ts decides from the answers. Nothing here talks to etcd itself: the coordinator has no etcd
 * credentials and no route to etcd's port is assumed.
 *
 * The gates refuse on an unhealthy cluster, including one where no control-plane node's etcd answers at all: that is
 * a cluster that lost etcd (or whose etcd this coordinator cannot see), and joining or removing a member then is how
 * quorum is lost for good. `--force` goes on anyway and says, line by line, what it skipped.
 */
import { assessEtcd, danglingMember, healthyReporters, type EtcdAssessment, type EtcdExpectedNode, type EtcdNodeReport } from '../../core/etcd/health.js';
import { peerUrlOf } from '../../core/etcd/gateway.js';
import { PreconditionError } from '../../core/errors.js';
import type { ClusterSpec } from '../../core/spec.js';
import type { TaskResultOutput } from '../../proto/index.js';
import { forEachHost } from './for-each-host.js';
import type { AgentGateway, ClusterContext } from './ports.js';

/** How long one node's EtcdStatus may take: three bounded HTTPS calls on the node itself. */
export const ETCD_STATUS_TIMEOUT_MS = 20_000;

/**
 * Whether the cluster's etcd is the stacked one kubeadm runs on the control-plane nodes, which these checks ask
 * through the nodes' agents. The spec has no way to name an external etcd (kubeadm-ha always deploys stacked etcd),
 * so this is always true today; a spec field for external etcd would make the checks skip here, cleanly.
 */
export function stackedEtcd(_spec: ClusterSpec): boolean {
  return true;
}

export function toReport(node: string, r: TaskResultOutput['etcdStatus']): EtcdNodeReport {
  return {
    node,
    members: r.members.map((m) => ({ id: m.id, name: m.name, peerUrls: m.peerUrls, clientUrls: m.clientUrls, isLearner: m.isLearner })),
    ...(r.membersError ? { membersError: r.membersError } : {}),
    ...(r.endpoint && !r.endpointError
      ? {
          endpoint: {
            memberId: r.endpoint.memberId,
            leaderId: r.endpoint.leaderId,
            raftTerm: Number(r.endpoint.raftTerm),
            raftIndex: Number(r.endpoint.raftIndex),
            dbSize: Number(r.endpoint.dbSize),
            dbSizeInUse: Number(r.endpoint.dbSizeInUse),
            version: r.endpoint.version,
            errors: r.endpoint.errors,
            dbSizeQuota: Number(r.endpoint.dbSizeQuota),
            isLearner: r.endpoint.isLearner,
            revision: Number(r.endpoint.revision),
          },
        }
      : {}),
    ...(r.endpointError ? { endpointError: r.endpointError } : {}),
    alarms: r.alarms.map((a) => ({ memberId: a.memberId, alarm: a.alarm })),
    ...(r.alarmsError ? { alarmsError: r.alarmsError } : {}),
  };
}

/** Asks every node's agent at once; a node that cannot be asked (not connected, task failed) is a report with its error. */
export async function etcdReports(agents: AgentGateway, nodes: readonly EtcdExpectedNode[], phase: string, signal?: AbortSignal): Promise<EtcdNodeReport[]> {
  const reports = new Map<string, EtcdNodeReport>();
  const connected = agents.connected ? new Set(agents.connected()) : undefined;
  await forEachHost(nodes, { limit: Math.max(1, nodes.length), phase, ...(signal ? { signal } : {}) }, async (node) => {
    if (connected && !connected.has(node.name)) {
      reports.set(node.name, { node: node.name, error: 'agent not connected' });
      return;
    }
    try {
      const r = await agents.runTask(node.name, 'etcdStatus', { address: node.address }, { timeoutMs: ETCD_STATUS_TIMEOUT_MS });
      reports.set(node.name, toReport(node.name, r));
    } catch (err) {
      // The assessment names the node itself: drop the host prefix the gateway added.
      const message = err instanceof Error ? err.message : String(err);
      reports.set(node.name, { node: node.name, error: message.startsWith(`${node.name}: `) ? message.slice(node.name.length + 2) : message });
    }
  });
  return nodes.map((n) => reports.get(n.name)!);
}

/** The control-plane nodes the records show as joined: the members a healthy cluster has right now. */
export async function joinedControlPlaneNodes(ctx: Pick<ClusterContext, 'plan' | 'cluster'>): Promise<EtcdExpectedNode[]> {
  const out: EtcdExpectedNode[] = [];
  for (const node of ctx.plan.controlPlane) if ((await ctx.cluster.node(node.name))?.joined) out.push({ name: node.name, address: node.address });
  return out;
}

type GateContext = Pick<ClusterContext, 'agents' | 'emit' | 'signal' | 'force'>;

function problemList(a: EtcdAssessment): string {
  return a.problems.map((p) => `  - ${p}`).join('\n');
}

/**
 * etcd's health for an action's preflight, which lists every refusal at once: each problem as a refusal under the rule
 * "etcd healthy", none for a healthy cluster. With --force they are said as a warning instead, as the gate does.
 */
export async function etcdPreflightProblems(
  ctx: GateContext & Pick<ClusterContext, 'plan' | 'cluster' | 'spec'>,
  phase: string,
  what: string,
): Promise<string[]> {
  if (!stackedEtcd(ctx.spec)) return [];
  const nodes = await joinedControlPlaneNodes(ctx);
  const assessment = assessEtcd(nodes, await etcdReports(ctx.agents, nodes, phase, ctx.signal));
  for (const w of assessment.warnings) ctx.emit({ kind: 'progress', phase, message: `warning: ${w}` });
  if (assessment.healthy) return [];
  if (ctx.force) {
    ctx.emit({ kind: 'progress', phase, message: `warning: --force: going on to ${what} although etcd is unhealthy:\n${problemList(assessment)}` });
    return [];
  }
  return assessment.problems.map((p) => `etcd healthy: ${p}`);
}

/**
 * The health gate: resolves when `assessment` is healthy; otherwise refuses (PreconditionError listing every problem)
 * or, with --force, says what it skips and resolves.
 */
export function enforceGate(ctx: GateContext, phase: string, what: string, assessment: EtcdAssessment, host?: string): void {
  for (const w of assessment.warnings) ctx.emit({ kind: 'progress', phase, ...(host ? { host } : {}), message: `warning: ${w}` });
  if (assessment.healthy) {
    ctx.emit({
      kind: 'progress',
      phase,
      ...(host ? { host } : {}),
      message: `etcd healthy (${assessment.members.length} members${assessment.leaderId ? `, leader ${assessment.leaderId}` : ''})`,
    });
    return;
  }
  if (ctx.force) {
    ctx.emit({
      kind: 'progress',
      phase,
      ...(host ? { host } : {}),
      message: `warning: --force: going on to ${what} although etcd is unhealthy; skipped the etcd health gate over:\n${problemList(assessment)}`,
    });
    return;
  }
  throw new PreconditionError(
    `etcd is unhealthy; refusing to ${what}:\n${problemList(assessment)}\nFix etcd first (\`coordinatorctl etcd status\` shows the members), or pass --force to go on anyway`,
    { phase, ...(host ? { host } : {}) },
  );
}

/**
 * Before a control-plane join of `node`: a member with the node's peer URL while the node is not joined is the
 * dangling member of a join killed between `member add` and the member's start; it is removed through a healthy
 * node's agent (never the joining node), said so, and then the cluster without it must pass the gate.
 */
export async function gateControlPlaneJoin(ctx: ClusterContext, node: EtcdExpectedNode, phase: string): Promise<void> {
  const emit = (message: string) => ctx.emit({ kind: 'progress', phase, host: node.name, message });
  const expected = (await joinedControlPlaneNodes(ctx)).filter((n) => n.name !== node.name);
  if (expected.length === 0) return;
  let reports = await etcdReports(ctx.agents, expected, phase, ctx.signal);
  const members = reports.find((r) => r.members && !r.membersError)?.members ?? [];
  const dangling = danglingMember(members, node.address);
  if (dangling) {
    const via = healthyReporters(reports, [node.name])[0];
    const what = `dangling etcd member ${dangling.name || '(never started)'} ${dangling.id} with ${node.name}'s peer URL ${peerUrlOf(node.address)}`;
    if (!via) {
      enforceGate(ctx, phase, `join ${node.name} with a ${what} left and no healthy member to remove it through`, assessEtcd(expected, reports), node.name);
    } else {
      emit(`removing the ${what} (left by an interrupted join) through ${via.node}`);
      await removeMemberThrough(ctx, expected.find((n) => n.name === via.node)!, dangling.id, node.address, phase, emit);
      reports = await etcdReports(ctx.agents, expected, phase, ctx.signal);
    }
  }
  enforceGate(ctx, phase, `join ${node.name} to etcd`, assessEtcd(expected, reports), node.name);
}

/**
 * For a removal: no member may keep `address`'s peer URL. remove-node calls this before kubeadm reset (which removes
 * the member only when it can fetch its configuration from the cluster and reach etcd). One that is there is removed
 * through a healthy remaining node, and said so.
 */
export async function removeLeftoverMember(
  ctx: Pick<ClusterContext, 'agents' | 'emit' | 'signal'>,
  remaining: readonly EtcdExpectedNode[],
  removed: EtcdExpectedNode,
  phase: string,
): Promise<void> {
  const emit = (message: string) => ctx.emit({ kind: 'progress', phase, host: removed.name, message });
  const reports = await etcdReports(ctx.agents, remaining, phase, ctx.signal);
  const members = reports.find((r) => r.members && !r.membersError)?.members;
  if (!members) {
    throw new PreconditionError(
      `cannot check that no etcd member of ${removed.name} is left: no remaining control-plane node could read the member list (${reports.map((r) => `${r.node}: ${r.error ?? r.membersError}`).join('; ')})`,
      { phase, host: removed.name },
    );
  }
  const left = danglingMember(members, removed.address);
  if (!left) {
    emit(`no etcd member with ${peerUrlOf(removed.address)} is left`);
    return;
  }
  const via = healthyReporters(reports, [removed.name])[0];
  if (!via) {
    throw new PreconditionError(
      `etcd member ${left.name || left.id} with ${peerUrlOf(removed.address)} is left, and no remaining member is healthy enough to remove it`,
      {
        phase,
        host: removed.name,
      },
    );
  }
  emit(`etcd member ${left.name || '(never started)'} ${left.id} with ${peerUrlOf(removed.address)} is still there: removing it through ${via.node}`);
  await removeMemberThrough(ctx, remaining.find((n) => n.name === via.node)!, left.id, removed.address, phase, emit);
}

/** EtcdRemoveMember through `via`'s agent for the member `memberId` with `address`'s peer URL; says what it found. */
async function removeMemberThrough(
  ctx: Pick<ClusterContext, 'agents'>,
  via: EtcdExpectedNode,
  memberId: string,
  address: string,
  phase: string,
  emit: (message: string) => void,
): Promise<void> {
  const r = await ctx.agents.runTask(
    via.name,
    'etcdRemoveMember',
    { address: via.address, memberId, peerUrl: peerUrlOf(address) },
    { timeoutMs: ETCD_STATUS_TIMEOUT_MS, phase, onProgress: emit },
  );
  emit(r.detail);
}
