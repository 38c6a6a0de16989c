// Original file: proto/kubeadm_ha/v1/agent.proto


export interface ServedCertificateResult {
  'notBefore'?: (string);
  'notAfter'?: (string);
  'serial'?: (string);
}

export interface ServedCertificateResult__Output {
  'notBefore': (string);
  'notAfter': (string);
  'serial': (string);
}
