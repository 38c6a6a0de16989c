// Original file: proto/kubeadm_ha/v1/agent.proto


export interface NodeVersionsResult {
  'kubeadm'?: (string);
  'kubelet'?: (string);
}

export interface NodeVersionsResult__Output {
  'kubeadm': (string);
  'kubelet': (string);
}
