// Original file: proto/kubeadm_ha/v1/agent.proto

import type { HostFacts as _kubeadm_ha_v1_HostFacts, HostFacts__Output as _kubeadm_ha_v1_HostFacts__Output } from '../../kubeadm_ha/v1/HostFacts.js';

export interface PreflightResult {
  'warnings'?: (string)[];
  'actions'?: (string)[];
  'facts'?: (_kubeadm_ha_v1_HostFacts | null);
}

export interface PreflightResult__Output {
  'warnings': (string)[];
  'actions': (string)[];
  'facts': (_kubeadm_ha_v1_HostFacts__Output | null);
}
