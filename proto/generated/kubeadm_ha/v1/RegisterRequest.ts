// Original file: proto/kubeadm_ha/v1/agent.proto

import type { HostFacts as _kubeadm_ha_v1_HostFacts, HostFacts__Output as _kubeadm_ha_v1_HostFacts__Output } from '../../kubeadm_ha/v1/HostFacts.js';
import type { Role as _kubeadm_ha_v1_Role, Role__Output as _kubeadm_ha_v1_Role__Output } from '../../kubeadm_ha/v1/Role.js';

export interface RegisterRequest {
  'bootstrapToken'?: (string);
  'csrPem'?: (string);
  'natsNkeyPublic'?: (string);
  'facts'?: (_kubeadm_ha_v1_HostFacts | null);
  'requestedName'?: (string);
  'roleHint'?: (_kubeadm_ha_v1_Role);
  'agentVersion'?: (string);
}

export interface RegisterRequest__Output {
  'bootstrapToken': (string);
  'csrPem': (string);
  'natsNkeyPublic': (string);
  'facts': (_kubeadm_ha_v1_HostFacts__Output | null);
  'requestedName': (string);
  'roleHint': (_kubeadm_ha_v1_Role__Output);
  'agentVersion': (string);
}
