// Original file: proto/kubeadm_ha/v1/admin.proto


export interface DeleteTokenRequest {
  'id'?: (string);
}

export interface DeleteTokenRequest__Output {
  'id': (string);
}
