// Original file: proto/kubeadm_ha/v1/common.proto

import type { AddressFamily as _kubeadm_ha_v1_AddressFamily, AddressFamily__Output as _kubeadm_ha_v1_AddressFamily__Output } from '../../kubeadm_ha/v1/AddressFamily.js';

export interface HostAddress {
  'interface'?: (string);
  'address'?: (string);
  'prefixLength'?: (number);
  'family'?: (_kubeadm_ha_v1_AddressFamily);
}

export interface HostAddress__Output {
  'interface': (string);
  'address': (string);
  'prefixLength': (number);
  'family': (_kubeadm_ha_v1_AddressFamily__Output);
}
