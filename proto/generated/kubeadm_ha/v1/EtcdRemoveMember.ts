// Original file: proto/kubeadm_ha/v1/agent.proto


export interface EtcdRemoveMember {
  'address'?: (string);
  'memberId'?: (string);
  'peerUrl'?: (string);
}

export interface EtcdRemoveMember__Output {
  'address': (string);
  'memberId': (string);
  'peerUrl': (string);
}
