// Original file: proto/kubeadm_ha/v1/agent.proto


export interface EtcdSnapshot {
  'address'?: (string);
}

export interface EtcdSnapshot__Output {
  'address': (string);
}
