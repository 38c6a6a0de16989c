/**
 * A deploy phase, after k0sctl's phase manager and kubeadm's phase workflow: a small object that knows whether it has
 * work to do and how to do it. Phases are idempotent, so a deploy that stopped half-way resumes by running them again.
 */
export interface Phase<C> {
  /** Stable id, persisted in the progress record: `join-control-plane`. */
  readonly id: string;
  /** What an operator reads: `Join control-plane nodes one at a time`. */
  readonly title: string;
  shouldRun(ctx: C): Promise<boolean> | boolean;
  run(ctx: C): Promise<void>;
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

export interface PhaseProgress {
  isPhaseDone(phase: string): Promise<boolean>;
  markPhaseDone(phase: string): Promise<void>;
}
