// Original file: proto/kubeadm_ha/v1/agent.proto

import type { Role as _kubeadm_ha_v1_Role, Role__Output as _kubeadm_ha_v1_Role__Output } from '../../kubeadm_ha/v1/Role.js';

export interface RegisterResponse {
  'agentName'?: (string);
  'clientCertPem'?: (string);
  'caCertPem'?: (string);
  'natsUrl'?: (string);
  'clusterName'?: (string);
  'role'?: (_kubeadm_ha_v1_Role);
  'natsCaPem'?: (string);
  'natsUserJwt'?: (string);
}

export interface RegisterResponse__Output {
  'agentName': (string);
  'clientCertPem': (string);
  'caCertPem': (string);
  'natsUrl': (string);
  'clusterName': (string);
  'role': (_kubeadm_ha_v1_Role__Output);
  'natsCaPem': (string);
  'natsUserJwt': (string);
}
