// Original file: proto/kubeadm_ha/v1/agent.proto


export interface CertsRenewResult {
  'lines'?: (string)[];
}

export interface CertsRenewResult__Output {
  'lines': (string)[];
}
