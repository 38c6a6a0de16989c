// Original file: proto/kubeadm_ha/v1/agent.proto


export interface KubeadmInitResult {
  'caCertHash'?: (string);
}

export interface KubeadmInitResult__Output {
  'caCertHash': (string);
}
