/**
 * What `coordinatorctl certs renew` works with: the control-plane nodes to renew (one, or all in plan order), when
 * the renewal started (from its operation record, so a resumed one judges the same way), and a fresh etcd snapshot
 * before the first node.
 */
import type { PlannedNode } from '../../../core/plan.js';
import type { ClusterContext, ClusterView } from '../../workflow/ports.js';
import type { WindowTimeouts } from '../window/window-target.js';

export interface CertsView extends ClusterView {
  readonly nodes: readonly PlannedNode[];
}

export interface CertsContext extends ClusterContext, CertsView {
  /** When this renewal started; a node whose apiserver certificate was written since (less the skew margin) is done. */
  readonly startedAt: Date;
  readonly windowTimeouts: WindowTimeouts;
  /** A checked etcd snapshot on the coordinator host (coordinator/admin/etcd.ts); resolves to its path. */
  readonly takeSnapshot: () => Promise<string>;
}

/** Host clocks differ from the coordinator's: a certificate written this long before the start still counts as renewed. */
export const CLOCK_SKEW_MS = 5 * 60_000;

export interface RenewalState {
  readonly renewedOnDisk: boolean;
  readonly served: boolean;
  readonly diskSerial: string;
}

/** Whether the node's apiserver certificate was renewed by this renewal, and whether the apiserver serves it. */
export async function renewalState(ctx: Pick<CertsContext, 'agents' | 'spec' | 'startedAt'>, node: PlannedNode): Promise<RenewalState> {
  const check = await ctx.agents.runTask(node.name, 'certsCheck', { controlPlane: true }, { timeoutMs: 70_000 });
  const apiserver = check.certificates.find((c) => c.name === 'apiserver');
  const renewedOnDisk = apiserver?.writtenAt ? Date.parse(apiserver.writtenAt) >= ctx.startedAt.getTime() - CLOCK_SKEW_MS : false;
  let served = false;
  try {
    const s = await ctx.agents.runTask(node.name, 'servedCertificate', { address: node.address, port: ctx.spec.controlPlaneEndpoint.apiserverPort });
    served = !!apiserver?.serial && s.serial === apiserver.serial;
  } catch {
    served = false;
  }
  return { renewedOnDisk, served, diskSerial: apiserver?.serial ?? '' };
}
