// Original file: proto/kubeadm_ha/v1/admin.proto


export interface VerifyRow {
  'check'?: (string);
  'host'?: (string);
  'ok'?: (boolean);
  'detail'?: (string);
}

export interface VerifyRow__Output {
  'check': (string);
  'host': (string);
  'ok': (boolean);
  'detail': (string);
}
