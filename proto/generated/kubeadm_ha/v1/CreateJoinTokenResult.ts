// Original file: proto/kubeadm_ha/v1/agent.proto


export interface CreateJoinTokenResult {
  'endpoint'?: (string);
  'token'?: (string);
  'caCertHash'?: (string);
}

export interface CreateJoinTokenResult__Output {
  'endpoint': (string);
  'token': (string);
  'caCertHash': (string);
}
