// Original file: proto/kubeadm_ha/v1/agent.proto


export interface EtcdRemoveMemberResult {
  'removed'?: (boolean);
  'detail'?: (string);
}

export interface EtcdRemoveMemberResult__Output {
  'removed': (boolean);
  'detail': (string);
}
