// Original file: proto/kubeadm_ha/v1/admin.proto

import type { Role as _kubeadm_ha_v1_Role, Role__Output as _kubeadm_ha_v1_Role__Output } from '../../kubeadm_ha/v1/Role.js';

export interface CreateTokenResponse {
  'token'?: (string);
  'caPin'?: (string);
  'coordinatorAddress'?: (string);
  'expires'?: (string);
  'id'?: (string);
  'uses'?: (number);
  'role'?: (_kubeadm_ha_v1_Role);
}

export interface CreateTokenResponse__Output {
  'token': (string);
  'caPin': (string);
  'coordinatorAddress': (string);
  'expires': (string);
  'id': (string);
  'uses': (number);
  'role': (_kubeadm_ha_v1_Role__Output);
}
