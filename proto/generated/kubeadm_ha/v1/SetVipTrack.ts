// Original file: proto/kubeadm_ha/v1/agent.proto


export interface SetVipTrack {
  'fault'?: (boolean);
}

export interface SetVipTrack__Output {
  'fault': (boolean);
}
