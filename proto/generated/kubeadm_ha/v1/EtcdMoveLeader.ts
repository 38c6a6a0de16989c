// Original file: proto/kubeadm_ha/v1/agent.proto


export interface EtcdMoveLeader {
  'address'?: (string);
  'targetMemberId'?: (string);
}

export interface EtcdMoveLeader__Output {
  'address': (string);
  'targetMemberId': (string);
}
