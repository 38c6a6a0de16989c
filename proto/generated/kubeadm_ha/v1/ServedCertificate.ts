// Original file: proto/kubeadm_ha/v1/agent.proto


export interface ServedCertificate {
  'address'?: (string);
  'port'?: (number);
}

export interface ServedCertificate__Output {
  'address': (string);
  'port': (number);
}
