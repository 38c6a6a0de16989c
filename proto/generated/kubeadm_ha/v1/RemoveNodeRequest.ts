// Original file: proto/kubeadm_ha/v1/admin.proto


export interface RemoveNodeRequest {
  'nodeName'?: (string);
  'dryRun'?: (boolean);
  'force'?: (boolean);
}

export interface RemoveNodeRequest__Output {
  'nodeName': (string);
  'dryRun': (boolean);
  'force': (boolean);
}
