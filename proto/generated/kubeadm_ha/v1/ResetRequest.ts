// Original file: proto/kubeadm_ha/v1/admin.proto


export interface ResetRequest {
  'dryRun'?: (boolean);
}

export interface ResetRequest__Output {
  'dryRun': (boolean);
}
