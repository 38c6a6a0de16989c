// Original file: proto/kubeadm_ha/v1/admin.proto


export interface ForgetNodeResponse {
  'forgotten'?: (boolean);
}

export interface ForgetNodeResponse__Output {
  'forgotten': (boolean);
}
