// Original file: proto/kubeadm_ha/v1/admin.proto


export interface CertsRenewRequest {
  'nodeName'?: (string);
  'dryRun'?: (boolean);
  'force'?: (boolean);
}

export interface CertsRenewRequest__Output {
  'nodeName': (string);
  'dryRun': (boolean);
  'force': (boolean);
}
