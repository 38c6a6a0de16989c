// Original file: proto/kubeadm_ha/v1/agent.proto


export interface CreateJoinToken {
  'configPath'?: (string);
  'ttlSeconds'?: (number);
}

export interface CreateJoinToken__Output {
  'configPath': (string);
  'ttlSeconds': (number);
}
