import type { ClusterPlan, PlannedNode } from '../plan.js';

/** One file for one host: its absolute path on the host, its mode, and its content. */
export interface RenderedFile {
  readonly path: string;
  readonly mode: number;
  readonly content: string;
}

/** What a renderer knows about the host it renders for, beyond the plan. */
export interface RenderTarget {
  readonly plan: ClusterPlan;
  readonly node: PlannedNode;
  /** The interface that carries the node address (and the VIP); the spec's, else what the agent detected. */
  readonly interface: string;
}
