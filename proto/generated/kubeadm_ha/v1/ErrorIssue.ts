// Original file: proto/kubeadm_ha/v1/common.proto


export interface ErrorIssue {
  'path'?: (string);
  'message'?: (string);
}

export interface ErrorIssue__Output {
  'path': (string);
  'message': (string);
}
