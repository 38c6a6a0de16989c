/**
 * A phase, after k0sctl's phase manager and kubeadm's phase workflow: a small object that knows whether it has work
 * to do, how to do it, and how to say what it would do. Phases are idempotent, so an action that stopped half-way
 * resumes by running them again. One phase per file under coordinator/phases/<action>/; its id is its file name.
 */
import type { Logger } from '../../lib/log.js';

export interface Phase<C, V = C> {
  /** Stable id, persisted in the progress record and equal to the file name: `join-control-plane`. */
  readonly id: string;
  /** What an operator reads: `Join control-plane nodes one at a time`. */
  readonly title: string;
  /**
   * What the phase would do, host by host, for `coordinatorctl plan` and `--dry-run`. Pure: it reads only the view
   * (spec, plan, target), never the hosts, so a plan can be printed offline from cluster.yaml alone.
   */
  describe(view: V): PhaseDescription;
  /** The one guard: derived from the cluster's real state, so a resumed or repeated action does only what is left. */
  shouldRun(ctx: C): Promise<boolean> | boolean;
  /** Resolves `'unchanged'` when it found everything already as it should be. */
  run(ctx: C): Promise<void | 'unchanged'>;
  /** Undo partial work after a failure of `run`, where leaving it would break the retry. */
  cleanUp?(ctx: C, error: unknown): Promise<void>;
}

/** How a phase takes its hosts: all at once, bounded parallel, strictly one after another, one host, or none. */
export type HostOrder = 'parallel' | 'sequential' | 'single' | 'none';

export interface PhaseDescription {
  readonly hosts: readonly string[];
  readonly order: HostOrder;
  /** One line per step or per host, e.g. `master-1: fresh certificate key + upload-certs, …`. */
  readonly details: readonly string[];
  /** Overrides the phase's title where the view makes it more precise (the worker concurrency, the LB mode). */
  readonly title?: string;
}

/** A described phase, as `plan` and `--dry-run` print it. */
export interface PlanStep extends PhaseDescription {
  readonly phase: string;
  readonly title: string;
}

export type PhaseEventKind = 'phase-start' | 'phase-skip' | 'phase-done' | 'phase-failed' | 'progress' | 'plan';

export interface PhaseEvent {
  readonly kind: PhaseEventKind;
  readonly phase: string;
  readonly host?: string;
  readonly message: string;
}

export type PhaseState = 'running' | 'done' | 'unchanged' | 'skipped' | 'failed';

/** Where phase outcomes are recorded, for `coordinatorctl status`; never used to decide what runs. */
export interface PhaseProgress {
  recordPhase(phase: string, state: PhaseState, message: string): Promise<void>;
}

/** What the engine needs of any action's context. */
export interface EngineContext {
  readonly progress: PhaseProgress;
  readonly emit: (event: PhaseEvent) => void;
  readonly logger: Logger;
  readonly signal?: AbortSignal;
}

/** Progress that records nothing: read-only actions (verify) and the per-host sub-phases of reset. */
export const UNRECORDED: PhaseProgress = { recordPhase: async () => undefined };
