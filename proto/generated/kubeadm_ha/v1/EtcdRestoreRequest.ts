// Original file: proto/kubeadm_ha/v1/admin.proto


export interface EtcdRestoreRequest {
  'path'?: (string);
  'confirmed'?: (boolean);
}

export interface EtcdRestoreRequest__Output {
  'path': (string);
  'confirmed': (boolean);
}
