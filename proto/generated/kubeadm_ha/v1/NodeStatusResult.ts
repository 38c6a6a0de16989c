// Original file: proto/kubeadm_ha/v1/agent.proto


export interface NodeStatusResult {
  'registered'?: (boolean);
  'ready'?: (boolean);
  'detail'?: (string);
}

export interface NodeStatusResult__Output {
  'registered': (boolean);
  'ready': (boolean);
  'detail': (string);
}
