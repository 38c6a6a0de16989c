// Original file: proto/kubeadm_ha/v1/admin.proto


export interface CertificateExpiry {
  'name'?: (string);
  'notAfter'?: (string);
  'expiringSoon'?: (boolean);
}

export interface CertificateExpiry__Output {
  'name': (string);
  'notAfter': (string);
  'expiringSoon': (boolean);
}
