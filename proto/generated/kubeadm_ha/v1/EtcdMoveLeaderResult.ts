// Original file: proto/kubeadm_ha/v1/agent.proto


export interface EtcdMoveLeaderResult {
  'moved'?: (boolean);
  'detail'?: (string);
  'leaderId'?: (string);
}

export interface EtcdMoveLeaderResult__Output {
  'moved': (boolean);
  'detail': (string);
  'leaderId': (string);
}
