// Original file: proto/kubeadm_ha/v1/admin.proto


export interface CertificateRow {
  'node'?: (string);
  'certificate'?: (string);
  'notAfter'?: (string);
  'authority'?: (string);
  'missing'?: (boolean);
  'expiringSoon'?: (boolean);
  'externallyManaged'?: (boolean);
}

export interface CertificateRow__Output {
  'node': (string);
  'certificate': (string);
  'notAfter': (string);
  'authority': (string);
  'missing': (boolean);
  'expiringSoon': (boolean);
  'externallyManaged': (boolean);
}
