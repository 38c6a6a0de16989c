// Original file: proto/kubeadm_ha/v1/admin.proto


export interface DeployRequest {
  'specYaml'?: (string);
  'registryConfigJson'?: (Buffer | Uint8Array | string);
  'dryRun'?: (boolean);
  'force'?: (boolean);
}

export interface DeployRequest__Output {
  'specYaml': (string);
  'registryConfigJson': (Buffer);
  'dryRun': (boolean);
  'force': (boolean);
}
