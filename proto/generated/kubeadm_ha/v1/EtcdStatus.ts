// Original file: proto/kubeadm_ha/v1/agent.proto


export interface EtcdStatus {
  'address'?: (string);
}

export interface EtcdStatus__Output {
  'address': (string);
}
