// Original file: proto/kubeadm_ha/v1/agent.proto


export interface EtcdRestorePeer {
  'name'?: (string);
  'peerUrl'?: (string);
}

export interface EtcdRestorePeer__Output {
  'name': (string);
  'peerUrl': (string);
}
