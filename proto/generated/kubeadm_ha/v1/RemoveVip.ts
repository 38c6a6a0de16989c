// Original file: proto/kubeadm_ha/v1/agent.proto


export interface RemoveVip {
  'vip'?: (string);
  'prefixLength'?: (number);
  'interface'?: (string);
}

export interface RemoveVip__Output {
  'vip': (string);
  'prefixLength': (number);
  'interface': (string);
}
