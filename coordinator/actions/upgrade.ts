/**
 * `coordinatorctl upgrade --to vX.Y.Z [--dry-run]`: the cluster upgraded one minor (or patch) at a time, as the
 * recorded, resumable 'upgrade' operation: preflight, kubeadm at the target on the first control-plane node and
 * `kubeadm upgrade plan`, an etcd snapshot, each control-plane node inside the maintenance window (apply on the
 * first, node elsewhere), the workers in bounded batches, then verify and the stored spec's version updated.
 *
 * Who may cause it: an operator with the admin certificate. What it reaches: through each node's agent, the kubeadm,
 * kubelet and kubectl packages (the host's package manager), kubeadm's upgrade commands, the kubelet unit and
 * kubectl drain/uncordon of the node being upgraded; the backend set and etcd snapshot as in certs renew.
 */
import { PreconditionError, SpecError } from '../../core/errors.js';
import { parseReleaseVersion } from '../../core/upgrade/policy.js';
import { specFromObject, specToObject, type ClusterSpec } from '../../core/spec.js';
import type { Operation } from '../admin/operations.js';
import { takeSnapshot } from '../admin/etcd.js';
import { upgradeControlPlanePhase } from '../phases/upgrade/upgrade-control-plane.js';
import { upgradePlanPhase } from '../phases/upgrade/upgrade-plan.js';
import { upgradePreflightPhase } from '../phases/upgrade/upgrade-preflight.js';
import { upgradeSnapshotPhase } from '../phases/upgrade/upgrade-snapshot.js';
import type { UpgradeContext, UpgradeView } from '../phases/upgrade/upgrade-target.js';
import { upgradeVerifyPhase } from '../phases/upgrade/upgrade-verify.js';
import { upgradeWorkersPhase } from '../phases/upgrade/upgrade-workers.js';
import { windowTimeoutsWith } from '../phases/window/window-target.js';
import { storedSpec, type CoordinatorRuntime } from '../runtime.js';
import { UNCHANGED } from '../state/store.js';
import { dryRunPhases, runAction, type Action } from '../workflow/engine.js';
import { clusterContext } from './cluster-context.js';
import { startRecorded, takeTurn } from './operation-record.js';

export const UPGRADE: Action<UpgradeContext, UpgradeView> = {
  kind: 'upgrade',
  phases: [upgradePreflightPhase, upgradePlanPhase, upgradeSnapshotPhase, upgradeControlPlanePhase, upgradeWorkersPhase, upgradeVerifyPhase],
  resumeHint:
    'Fix the cause, then run the same `coordinatorctl upgrade --to VERSION` again: nodes already at the version are skipped, a node left drained goes through its window again. ' +
    "To roll back instead (kubeadm cannot downgrade a control plane): on each upgraded control-plane node put back the manifests kubeadm kept in /etc/kubernetes/tmp/kubeadm-backup-manifests-* and kubeadm and kubelet at the old version, then `coordinatorctl etcd restore --from` the snapshot the upgrade-snapshot phase took (in the data directory's etcd-snapshots/).",
  observing: ['upgrade-preflight', 'upgrade-verify'],
};

/** A third of the workers at once, at least one: the share of capacity an upgrade may take away. */
export function workerBatch(workers: number): number {
  return Math.max(1, Math.floor(workers / 3));
}

/** The stored spec with the new version, validated as any spec. */
export function specAtVersion(spec: ClusterSpec, version: string): ClusterSpec {
  const obj = specToObject(spec) as { spec: { kubernetes: { version: string } } };
  obj.spec.kubernetes.version = version;
  return specFromObject(obj, 'the stored spec');
}

export async function startUpgrade(
  rt: CoordinatorRuntime,
  target: string,
  options: { dryRun?: boolean; signal?: AbortSignal; force?: boolean } = {},
): Promise<Operation> {
  if (!parseReleaseVersion(target))
    throw new SpecError('upgrade', [{ path: '--to', message: `"${target.slice(0, 40)}" is not a release version; write it like v1.32.0` }]);
  let resuming = false;
  if (!options.dryRun) {
    const turn = await takeTurn(rt, 'upgrade', target);
    if (turn.kind === 'attach') return turn.op;
    resuming = turn.kind === 'resume';
  }
  const spec = await storedSpec(rt);
  if (!spec) throw new PreconditionError('no cluster has been deployed yet: there is nothing to upgrade');
  if (!resuming && spec.kubernetes.version === target) throw new PreconditionError(`the cluster already runs ${target}`);
  const work = async (emit: Parameters<typeof clusterContext>[2]) => {
    const base = clusterContext(rt, spec, emit, {
      component: 'upgrade',
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.force ? { force: true } : {}),
    });
    if (!options.dryRun)
      await base.agents.waitForAgents(
        spec.nodes.map((n) => n.name),
        { timeoutMs: base.timeouts.agentsMs, ...(options.signal ? { signal: options.signal } : {}) },
      );
    const ctx: UpgradeContext = {
      ...base,
      target,
      workerBatch: workerBatch(base.plan.workers.length),
      windowTimeouts: windowTimeoutsWith(rt.settings.windowDrainMs),
      takeSnapshot: async () => (await takeSnapshot(rt, { ...(options.signal ? { signal: options.signal } : {}) })).path,
    };
    if (options.dryRun) {
      await dryRunPhases(UPGRADE.phases, ctx);
      return;
    }
    // A resumed upgrade is past its preflight: the cluster is half upgraded by design, which the version rules refuse.
    await runAction(resuming ? { ...UPGRADE, phases: UPGRADE.phases.filter((p) => p.id !== 'upgrade-preflight') } : UPGRADE, ctx, target);
    await rt.state.spec.update((current) => (current && current.kubernetes.version !== target ? specAtVersion(current, target) : UNCHANGED));
    emit({
      phase: 'summary',
      host: '',
      message: `the cluster runs ${target}: every control-plane node upgraded behind its load-balancer drain, the workers ${ctx.workerBatch} at a time. The stored spec says ${target}; set spec.kubernetes.version in your cluster.yaml too.`,
      level: 'LOG_LEVEL_INFO',
    });
  };
  return options.dryRun
    ? rt.operations.dryRun('upgrade', target, work)
    : startRecorded(
        rt,
        { kind: 'upgrade', key: target, ...(options.force ? { force: true } : {}), ...(options.signal ? { signal: options.signal } : {}) },
        work,
      );
}
