// Original file: proto/kubeadm_ha/v1/common.proto

export const AddressFamily = {
  ADDRESS_FAMILY_UNSPECIFIED: 'ADDRESS_FAMILY_UNSPECIFIED',
  ADDRESS_FAMILY_IPV4: 'ADDRESS_FAMILY_IPV4',
  ADDRESS_FAMILY_IPV6: 'ADDRESS_FAMILY_IPV6',
} as const;

export type AddressFamily =
  | 'ADDRESS_FAMILY_UNSPECIFIED'
  | 0
  | 'ADDRESS_FAMILY_IPV4'
  | 1
  | 'ADDRESS_FAMILY_IPV6'
  | 2

export type AddressFamily__Output = typeof AddressFamily[keyof typeof AddressFamily]
