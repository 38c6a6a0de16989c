// Original file: proto/kubeadm_ha/v1/agent.proto


export interface CertificateValidity {
  'name'?: (string);
  'notAfter'?: (string);
  'authority'?: (string);
  'externallyManaged'?: (boolean);
  'missing'?: (boolean);
  'notBefore'?: (string);
  'serial'?: (string);
  'writtenAt'?: (string);
}

export interface CertificateValidity__Output {
  'name': (string);
  'notAfter': (string);
  'authority': (string);
  'externallyManaged': (boolean);
  'missing': (boolean);
  'notBefore': (string);
  'serial': (string);
  'writtenAt': (string);
}
