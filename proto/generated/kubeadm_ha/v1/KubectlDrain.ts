// Original file: proto/kubeadm_ha/v1/agent.proto


export interface KubectlDrain {
  'nodeName'?: (string);
  'timeoutSeconds'?: (number);
  'server'?: (string);
}

export interface KubectlDrain__Output {
  'nodeName': (string);
  'timeoutSeconds': (number);
  'server': (string);
}
