/**
 * What `coordinatorctl certs renew` works with: the control-plane nodes to renew (one, or all in plan order), the
 * serial of each one's apiserver certificate when the renewal started (kept in its operation record, so a resumed
 * renewal judges the same way; serials, not times, because host clocks are not the coordinator's), and a fresh etcd
 * snapshot before the first node.
 */
import type { PlannedNode } from '../../../core/plan.js';
import type { ClusterContext, ClusterView } from '../../workflow/ports.js';
import type { WindowTimeouts } from '../window/window-target.js';

export interface CertsView extends ClusterView {
  readonly nodes: readonly PlannedNode[];
}

export interface CertsContext extends ClusterContext, CertsView {
  /** Node → the serial of its apiserver certificate before this renewal: another serial on disk means renewed. */
  readonly baseline: ReadonlyMap<string, string>;
  readonly windowTimeouts: WindowTimeouts;
  /** A checked etcd snapshot on the coordinator host (coordinator/admin/etcd.ts); resolves to its path. */
  readonly takeSnapshot: () => Promise<string>;
}

export interface RenewalState {
  readonly renewedOnDisk: boolean;
  readonly served: boolean;
  readonly diskSerial: string;
}

/** Whether the node's apiserver certificate was renewed by this renewal, and whether the apiserver serves it. */
/** The serial of the node's apiserver certificate on disk ('' when there is none). */
export async function apiserverSerial(ctx: Pick<CertsContext, 'agents'>, node: string): Promise<string> {
  const check = await ctx.agents.runTask(node, 'certsCheck', { controlPlane: true }, { timeoutMs: 70_000 });
  return check.certificates.find((c) => c.name === 'apiserver')?.serial ?? '';
}

export async function renewalState(ctx: Pick<CertsContext, 'agents' | 'spec' | 'baseline'>, node: PlannedNode): Promise<RenewalState> {
  const check = await ctx.agents.runTask(node.name, 'certsCheck', { controlPlane: true }, { timeoutMs: 70_000 });
  const apiserver = check.certificates.find((c) => c.name === 'apiserver');
  const before = ctx.baseline.get(node.name);
  const renewedOnDisk = !!apiserver?.serial && before !== undefined && apiserver.serial !== before;
  let served = false;
  try {
    const s = await ctx.agents.runTask(node.name, 'servedCertificate', { address: node.address, port: ctx.spec.controlPlaneEndpoint.apiserverPort });
    served = !!apiserver?.serial && s.serial === apiserver.serial;
  } catch {
    served = false;
  }
  return { renewedOnDisk, served, diskSerial: apiserver?.serial ?? '' };
}
