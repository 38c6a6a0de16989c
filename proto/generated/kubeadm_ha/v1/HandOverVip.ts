// Original file: proto/kubeadm_ha/v1/agent.proto


export interface HandOverVip {
  'vip'?: (string);
  'port'?: (number);
  'drainTimeoutMs'?: (number);
  'moveTimeoutMs'?: (number);
}

export interface HandOverVip__Output {
  'vip': (string);
  'port': (number);
  'drainTimeoutMs': (number);
  'moveTimeoutMs': (number);
}
