// Original file: proto/kubeadm_ha/v1/admin.proto

import type { VerifyRow as _kubeadm_ha_v1_VerifyRow, VerifyRow__Output as _kubeadm_ha_v1_VerifyRow__Output } from '../../kubeadm_ha/v1/VerifyRow.js';

export interface VerifyReport {
  'rows'?: (_kubeadm_ha_v1_VerifyRow)[];
  'failoverMs'?: (number);
  'ok'?: (boolean);
}

export interface VerifyReport__Output {
  'rows': (_kubeadm_ha_v1_VerifyRow__Output)[];
  'failoverMs': (number);
  'ok': (boolean);
}
