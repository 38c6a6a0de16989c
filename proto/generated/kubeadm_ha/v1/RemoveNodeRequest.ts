// Original file: proto/kubeadm_ha/v1/admin.proto


export interface RemoveNodeRequest {
  'nodeName'?: (string);
}

export interface RemoveNodeRequest__Output {
  'nodeName': (string);
}
