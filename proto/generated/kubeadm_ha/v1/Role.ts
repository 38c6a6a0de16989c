// Original file: proto/kubeadm_ha/v1/common.proto

export const Role = {
  ROLE_UNSPECIFIED: 'ROLE_UNSPECIFIED',
  ROLE_CONTROL_PLANE: 'ROLE_CONTROL_PLANE',
  ROLE_WORKER: 'ROLE_WORKER',
} as const;

export type Role =
  | 'ROLE_UNSPECIFIED'
  | 0
  | 'ROLE_CONTROL_PLANE'
  | 1
  | 'ROLE_WORKER'
  | 2

export type Role__Output = typeof Role[keyof typeof Role]
