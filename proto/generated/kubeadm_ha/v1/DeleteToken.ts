// Original file: proto/kubeadm_ha/v1/agent.proto


export interface DeleteToken {
  'tokenId'?: (string);
}

export interface DeleteToken__Output {
  'tokenId': (string);
}
