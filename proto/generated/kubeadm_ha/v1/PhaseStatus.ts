// Original file: proto/kubeadm_ha/v1/admin.proto

import type { PhaseState as _kubeadm_ha_v1_PhaseState, PhaseState__Output as _kubeadm_ha_v1_PhaseState__Output } from '../../kubeadm_ha/v1/PhaseState.js';

export interface PhaseStatus {
  'name'?: (string);
  'state'?: (_kubeadm_ha_v1_PhaseState);
  'message'?: (string);
  'updated'?: (string);
}

export interface PhaseStatus__Output {
  'name': (string);
  'state': (_kubeadm_ha_v1_PhaseState__Output);
  'message': (string);
  'updated': (string);
}
