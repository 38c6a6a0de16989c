// Original file: proto/kubeadm_ha/v1/admin.proto


export interface DeleteTokenResponse {
  'deleted'?: (boolean);
}

export interface DeleteTokenResponse__Output {
  'deleted': (boolean);
}
