// Original file: proto/kubeadm_ha/v1/agent.proto


export interface RenewCertificate {
  'csrPem'?: (string);
}

export interface RenewCertificate__Output {
  'csrPem': (string);
}
