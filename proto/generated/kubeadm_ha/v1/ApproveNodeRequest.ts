// Original file: proto/kubeadm_ha/v1/admin.proto


export interface ApproveNodeRequest {
  'nodeName'?: (string);
}

export interface ApproveNodeRequest__Output {
  'nodeName': (string);
}
