// Original file: proto/kubeadm_ha/v1/agent.proto


export interface Leftover {
  'kind'?: (string);
  'detail'?: (string);
}

export interface Leftover__Output {
  'kind': (string);
  'detail': (string);
}
