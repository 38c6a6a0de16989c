// Original file: proto/kubeadm_ha/v1/agent.proto


export interface VerifyClean {
  'paths'?: (string)[];
  'vip'?: (string);
  'firewallHold'?: (boolean);
}

export interface VerifyClean__Output {
  'paths': (string)[];
  'vip': (string);
  'firewallHold': (boolean);
}
