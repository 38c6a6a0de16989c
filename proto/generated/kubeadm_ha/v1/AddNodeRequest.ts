// Original file: proto/kubeadm_ha/v1/admin.proto


export interface AddNodeRequest {
  'specYaml'?: (string);
  'nodeName'?: (string);
  'dryRun'?: (boolean);
  'force'?: (boolean);
}

export interface AddNodeRequest__Output {
  'specYaml': (string);
  'nodeName': (string);
  'dryRun': (boolean);
  'force': (boolean);
}
