// Original file: proto/kubeadm_ha/v1/admin.proto

export const PhaseState = {
  PHASE_STATE_UNSPECIFIED: 'PHASE_STATE_UNSPECIFIED',
  PHASE_STATE_PENDING: 'PHASE_STATE_PENDING',
  PHASE_STATE_RUNNING: 'PHASE_STATE_RUNNING',
  PHASE_STATE_DONE: 'PHASE_STATE_DONE',
  PHASE_STATE_FAILED: 'PHASE_STATE_FAILED',
  PHASE_STATE_SKIPPED: 'PHASE_STATE_SKIPPED',
} as const;

export type PhaseState =
  | 'PHASE_STATE_UNSPECIFIED'
  | 0
  | 'PHASE_STATE_PENDING'
  | 1
  | 'PHASE_STATE_RUNNING'
  | 2
  | 'PHASE_STATE_DONE'
  | 3
  | 'PHASE_STATE_FAILED'
  | 4
  | 'PHASE_STATE_SKIPPED'
  | 5

export type PhaseState__Output = typeof PhaseState[keyof typeof PhaseState]
