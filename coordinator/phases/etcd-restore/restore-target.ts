/**
 * What every phase of `coordinatorctl etcd restore` works with: the cluster, the checked snapshot on the coordinator
 * host, the new cluster token that names this restore, and the members to rebuild (every control-plane node of the
 * stored spec, with its name and peer URL as kubeadm gave them).
 */
import type { EtcdExpectedNode } from '../../../core/etcd/health.js';
import { peerUrlOf } from '../../../core/etcd/gateway.js';
import type { SnapshotFacts } from '../../../core/etcd/restore.js';
import { controlPlaneNodes } from '../../../core/plan.js';
import type { ClusterContext, ClusterView } from '../../workflow/ports.js';
import type { PhaseDescription } from '../../workflow/phase.js';

export interface RestoreSnapshot extends SnapshotFacts {
  /** sha256 of the whole file, checked when the restore started and again before it is sent. */
  readonly sha256: string;
}

export interface RestoreView extends ClusterView {
  readonly snapshot: RestoreSnapshot;
  /** The new cluster token (`--initial-cluster-token`), which also names this restore on the hosts. */
  readonly restoreId: string;
  /** What the restore loses, said before it starts (core/etcd/restore.ts describeLoss). */
  readonly loss: string;
}

export interface RestoreContext extends ClusterContext, RestoreView {
  /** Control-plane nodes whose member the hosts say is already restored under restoreId (filled by restore-stage-snapshot). */
  readonly restored: Set<string>;
  /**
   * Reads the snapshot file in chunks, in order, and fails when its size or sha256 is no longer the one the restore
   * started with. `onChunk` returning false stops the reading there.
   */
  readonly readSnapshot: (onChunk: (chunk: Buffer, offset: number) => Promise<boolean>) => Promise<void>;
}

export function members(view: Pick<ClusterView, 'spec'>): EtcdExpectedNode[] {
  return controlPlaneNodes(view.spec).map((n) => ({ name: n.name, address: n.address }));
}

export function initialCluster(view: Pick<ClusterView, 'spec'>): { name: string; peerUrl: string }[] {
  return members(view).map((n) => ({ name: n.name, peerUrl: peerUrlOf(n.address) }));
}

/** Every member's node, in parallel. */
export function onMembers(view: Pick<ClusterView, 'spec'>, details: string[]): PhaseDescription {
  return { hosts: members(view).map((n) => n.name), order: 'parallel', details };
}

/** Whether the hosts said every member is restored already: the stop and restore phases then have nothing to do. */
export function allRestored(ctx: RestoreContext): boolean {
  return members(ctx).every((n) => ctx.restored.has(n.name));
}

export function progress(ctx: Pick<ClusterContext, 'emit'>, phase: string, message: string, host?: string): void {
  ctx.emit({ kind: 'progress', phase, ...(host ? { host } : {}), message });
}

/** How long parking may wait for kubelet to stop the pods: the apiserver's grace period is 30 s. */
export const PARK_WAIT_MS = 120_000;
