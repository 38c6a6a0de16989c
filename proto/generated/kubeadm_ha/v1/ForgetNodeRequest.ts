// Original file: proto/kubeadm_ha/v1/admin.proto


export interface ForgetNodeRequest {
  'nodeName'?: (string);
}

export interface ForgetNodeRequest__Output {
  'nodeName': (string);
}
