/**
 * `coordinatorctl certs renew [--node NAME]`: kubeadm's certificates renewed on each control-plane node, one at a
 * time, each inside the maintenance window (coordinator/workflow/maintenance-window.ts), as the 'certs-renew'
 * operation: recorded before any phase, resumed by a restarted coordinator, one operation at a time.
 *
 * Who may cause it: an operator with the admin certificate. What it reaches: through each control-plane node's agent,
 * kubeadm's certificates and kubeconfigs (CertsRenew), the control-plane static pods' manifests (parked and put back,
 * never edited), the backend set and the VIP's track file; an etcd snapshot is taken first.
 */
import { PreconditionError } from '../../core/errors.js';
import type { Operation } from '../admin/operations.js';
import { takeSnapshot } from '../admin/etcd.js';
import { certsPreflightPhase } from '../phases/certs-renew/certs-preflight.js';
import { certsRenewControlPlanePhase } from '../phases/certs-renew/certs-renew-control-plane.js';
import { certsSnapshotPhase } from '../phases/certs-renew/certs-snapshot.js';
import { apiserverSerial, type CertsContext, type CertsView } from '../phases/certs-renew/certs-target.js';
import type { PlannedNode } from '../../core/plan.js';
import { UNCHANGED } from '../state/store.js';
import { certsVerifyPhase } from '../phases/certs-renew/certs-verify.js';
import { windowTimeoutsWith } from '../phases/window/window-target.js';
import { storedSpec, type CoordinatorRuntime } from '../runtime.js';
import { dryRunPhases, runAction, type Action } from '../workflow/engine.js';
import { clusterContext } from './cluster-context.js';
import { startRecorded, takeTurn } from './operation-record.js';

export const CERTS_RENEW: Action<CertsContext, CertsView> = {
  kind: 'certs-renew',
  phases: [certsPreflightPhase, certsSnapshotPhase, certsRenewControlPlanePhase, certsVerifyPhase],
  resumeHint:
    'Fix the cause, then run the same `coordinatorctl certs renew` again: nodes already renewed are skipped, a node left drained goes through its window again.',
  observing: ['certs-preflight', 'certs-verify'],
};

/** The renewal's key in the operation record: the node, or every control-plane node. */
const keyOf = (node: string) => node || 'all';

/**
 * The serials the renewal compares against, from its operation record; the first run asks every target node and
 * writes them there before any phase, so that a resumed renewal knows which nodes it already renewed.
 */
async function recordedBaseline(
  rt: CoordinatorRuntime,
  key: string,
  nodes: readonly PlannedNode[],
  ctx: Pick<CertsContext, 'agents'>,
  previous: Record<string, string> | undefined,
): Promise<Map<string, string>> {
  const record = (await rt.state.operation.get())?.value;
  const known = { ...(previous ?? {}), ...(record?.kind === 'certs-renew' && record.key === key ? (record.certsBaseline ?? {}) : {}) };
  const baseline = new Map(Object.entries(known));
  const missing = nodes.filter((n) => !baseline.has(n.name));
  if (missing.length === 0) {
    // Written in this run's record too, so that a later resume of it finds it.
    await rt.state.operation.update((current) =>
      current?.kind === 'certs-renew' && current.key === key && !current.certsBaseline ? { ...current, certsBaseline: known } : UNCHANGED,
    );
    return baseline;
  }
  for (const n of missing) baseline.set(n.name, await apiserverSerial(ctx, n.name));
  await rt.state.operation.update((current) =>
    current?.kind === 'certs-renew' && current.key === key ? { ...current, certsBaseline: Object.fromEntries(baseline) } : UNCHANGED,
  );
  return baseline;
}

export async function startCertsRenew(
  rt: CoordinatorRuntime,
  nodeName: string,
  options: { dryRun?: boolean; signal?: AbortSignal; force?: boolean; automatic?: boolean } = {},
): Promise<Operation> {
  const key = keyOf(nodeName);
  // The same renewal run again after it failed (as its hint says) keeps the baseline it started with, for a day: nodes
  // it already renewed are not renewed and restarted again.
  const last = (await rt.state.operation.get())?.value;
  const previousBaseline =
    last?.kind === 'certs-renew' && last.key === key && last.status === 'failed' && last.finishedAt && Date.now() - Date.parse(last.finishedAt) < 86_400_000
      ? last.certsBaseline
      : undefined;
  if (!options.dryRun) {
    const turn = await takeTurn(rt, 'certs-renew', key);
    if (turn.kind === 'attach') return turn.op;
  }
  const spec = await storedSpec(rt);
  if (!spec) throw new PreconditionError('no cluster has been deployed yet: there are no certificates to renew');
  const base = (emit: Parameters<typeof clusterContext>[2]) =>
    clusterContext(rt, spec, emit, {
      component: 'certs-renew',
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.force ? { force: true } : {}),
    });
  const plan = base(() => undefined).plan;
  const nodes = nodeName ? plan.controlPlane.filter((n) => n.name === nodeName) : [...plan.controlPlane];
  if (nodeName && nodes.length === 0) {
    throw new PreconditionError(
      `${nodeName} is not a control-plane node of cluster ${spec.name} (control-plane nodes: ${plan.controlPlane.map((n) => n.name).join(', ')}); workers' kubelet certificates rotate by themselves`,
    );
  }
  const work = async (emit: Parameters<typeof clusterContext>[2]) => {
    const context = base(emit);
    // A renewal resumed by a restarted coordinator starts before the agents have reconnected.
    if (!options.dryRun)
      await context.agents.waitForAgents(
        context.plan.controlPlane.map((n) => n.name),
        { timeoutMs: context.timeouts.agentsMs, ...(options.signal ? { signal: options.signal } : {}) },
      );
    const baseline = options.dryRun ? new Map<string, string>() : await recordedBaseline(rt, key, nodes, context, previousBaseline);
    const ctx: CertsContext = {
      ...context,
      nodes,
      baseline,
      windowTimeouts: windowTimeoutsWith(rt.settings.windowDrainMs),
      takeSnapshot: async () => (await takeSnapshot(rt, { ...(options.signal ? { signal: options.signal } : {}) })).path,
    };
    if (options.dryRun) {
      await dryRunPhases(CERTS_RENEW.phases, ctx);
      return;
    }
    await runAction(CERTS_RENEW, ctx, key);
    emit({
      phase: 'summary',
      host: '',
      message: `certificates renewed on ${nodes.map((n) => n.name).join(', ')}, one node at a time behind its load-balancer drain. Copy the new /etc/kubernetes/admin.conf to wherever you keep a copy of it.`,
      level: 'LOG_LEVEL_INFO',
    });
  };
  return options.dryRun
    ? rt.operations.dryRun('certs-renew', key, work)
    : startRecorded(
        rt,
        {
          kind: 'certs-renew',
          key,
          ...(options.force ? { force: true } : {}),
          ...(options.automatic ? { automatic: true } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        },
        work,
      );
}
