// Original file: proto/kubeadm_ha/v1/admin.proto

import type { Role as _kubeadm_ha_v1_Role, Role__Output as _kubeadm_ha_v1_Role__Output } from '../../kubeadm_ha/v1/Role.js';

export interface TokenInfo {
  'id'?: (string);
  'role'?: (_kubeadm_ha_v1_Role);
  'nodeName'?: (string);
  'uses'?: (number);
  'maxUses'?: (number);
  'expires'?: (string);
  'created'?: (string);
  'description'?: (string);
}

export interface TokenInfo__Output {
  'id': (string);
  'role': (_kubeadm_ha_v1_Role__Output);
  'nodeName': (string);
  'uses': (number);
  'maxUses': (number);
  'expires': (string);
  'created': (string);
  'description': (string);
}
