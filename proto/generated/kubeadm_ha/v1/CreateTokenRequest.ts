// Original file: proto/kubeadm_ha/v1/admin.proto

import type { Role as _kubeadm_ha_v1_Role, Role__Output as _kubeadm_ha_v1_Role__Output } from '../../kubeadm_ha/v1/Role.js';

export interface CreateTokenRequest {
  'ttlSeconds'?: (number);
  'role'?: (_kubeadm_ha_v1_Role);
  'description'?: (string);
  'uses'?: (number);
  'nodeName'?: (string);
}

export interface CreateTokenRequest__Output {
  'ttlSeconds': (number);
  'role': (_kubeadm_ha_v1_Role__Output);
  'description': (string);
  'uses': (number);
  'nodeName': (string);
}
