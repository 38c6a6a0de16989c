/**
 * A deploy phase, after k0sctl's phase manager and kubeadm's phase workflow: a small object that knows whether it has
 * work to do and how to do it. Phases are idempotent, so a deploy that stopped half-way resumes by running them again.
 */
export interface Phase<C> {
  /** Stable id, persisted in the progress record: `join-control-plane`. */
  readonly id: string;
  /** What an operator reads: `Join control-plane nodes one at a time`. */
  readonly title: string;
  /** The one guard: derived from the cluster's real state, so a resumed or repeated deploy does only what is left. */
  shouldRun(ctx: C): Promise<boolean> | boolean;
  /** Resolves `'unchanged'` when it found everything already as it should be. */
  run(ctx: C): Promise<void | 'unchanged'>;
  /** Undo partial work after a failure of `run`, where leaving it would break the retry. */
  cleanUp?(ctx: C, error: unknown): Promise<void>;
}

export type PhaseEventKind = 'phase-start' | 'phase-skip' | 'phase-done' | 'phase-failed' | 'progress';

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
