// Original file: proto/kubeadm_ha/v1/agent.proto


export interface KubeadmUpgradeResult {
  'outputTail'?: (string);
}

export interface KubeadmUpgradeResult__Output {
  'outputTail': (string);
}
