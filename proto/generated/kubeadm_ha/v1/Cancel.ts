// Original file: proto/kubeadm_ha/v1/agent.proto


export interface Cancel {
  'taskId'?: (string);
}

export interface Cancel__Output {
  'taskId': (string);
}
