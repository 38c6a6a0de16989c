import type { PlannedNode } from '../../../core/plan.js';
import type { EngineContext } from '../../workflow/phase.js';
import type { BackendSets, ClusterContext } from '../../workflow/ports.js';

/** What a reset works with: the stored spec's context when there is one, and the coordinator's own records. */
export interface ResetContext extends EngineContext {
  readonly clusterName: string;
  /** The cluster context of the stored spec; undefined when nothing was deployed (there is no host to reset). */
  readonly hosts?: ClusterContext;
  readonly backends: BackendSets;
  /** Every path of ours on `node`, host-preparation files included. */
  readonly pathsOf: (node: PlannedNode, kubeletDropIn: boolean) => string[];
  /**
   * What the coordinator still holds of the cluster besides its spec (records, backends, registered agents), for an
   * operator to read; empty once a reset finished. Undefined: assume something is left.
   */
  readonly leftovers?: () => Promise<string[]>;
  /** Deletes the node and phase records and the stored spec. */
  readonly forgetCluster: () => Promise<void>;
  /** Revokes every registered agent of the cluster (tombstones included); returns their names. */
  readonly revokeAgents: () => Promise<string[]>;
}
