// Original file: proto/kubeadm_ha/v1/admin.proto

import type { Role as _kubeadm_ha_v1_Role, Role__Output as _kubeadm_ha_v1_Role__Output } from '../../kubeadm_ha/v1/Role.js';

export interface JoinCommandRequest {
  'role'?: (_kubeadm_ha_v1_Role);
  'ttlSeconds'?: (number);
  'nodeName'?: (string);
}

export interface JoinCommandRequest__Output {
  'role': (_kubeadm_ha_v1_Role__Output);
  'ttlSeconds': (number);
  'nodeName': (string);
}
