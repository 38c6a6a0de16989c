// Original file: proto/kubeadm_ha/v1/agent.proto

import type { Leftover as _kubeadm_ha_v1_Leftover, Leftover__Output as _kubeadm_ha_v1_Leftover__Output } from '../../kubeadm_ha/v1/Leftover.js';

export interface VerifyCleanResult {
  'leftovers'?: (_kubeadm_ha_v1_Leftover)[];
}

export interface VerifyCleanResult__Output {
  'leftovers': (_kubeadm_ha_v1_Leftover__Output)[];
}
