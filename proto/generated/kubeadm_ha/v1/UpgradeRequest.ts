// Original file: proto/kubeadm_ha/v1/admin.proto


export interface UpgradeRequest {
  'version'?: (string);
  'dryRun'?: (boolean);
  'force'?: (boolean);
}

export interface UpgradeRequest__Output {
  'version': (string);
  'dryRun': (boolean);
  'force': (boolean);
}
