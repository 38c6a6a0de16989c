// Original file: proto/kubeadm_ha/v1/agent.proto


export interface KubectlDrainDelete {
  'nodeName'?: (string);
  'timeoutSeconds'?: (number);
  'server'?: (string);
}

export interface KubectlDrainDelete__Output {
  'nodeName': (string);
  'timeoutSeconds': (number);
  'server': (string);
}
