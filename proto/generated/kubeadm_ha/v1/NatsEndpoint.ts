// Original file: proto/kubeadm_ha/v1/agent.proto


export interface NatsEndpoint {
  'url'?: (string);
  'caPem'?: (string);
  'userJwt'?: (string);
}

export interface NatsEndpoint__Output {
  'url': (string);
  'caPem': (string);
  'userJwt': (string);
}
