// Original file: proto/kubeadm_ha/v1/agent.proto


export interface WaitApiserver {
  'address'?: (string);
  'port'?: (number);
  'timeoutMs'?: (number);
}

export interface WaitApiserver__Output {
  'address': (string);
  'port': (number);
  'timeoutMs': (number);
}
