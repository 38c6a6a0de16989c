// Original file: proto/kubeadm_ha/v1/agent.proto


export interface WaitApiserverResult {
  'elapsedMs'?: (number);
}

export interface WaitApiserverResult__Output {
  'elapsedMs': (number);
}
