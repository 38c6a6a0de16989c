// Original file: proto/kubeadm_ha/v1/agent.proto


export interface KubectlUncordon {
  'nodeName'?: (string);
  'server'?: (string);
}

export interface KubectlUncordon__Output {
  'nodeName': (string);
  'server': (string);
}
