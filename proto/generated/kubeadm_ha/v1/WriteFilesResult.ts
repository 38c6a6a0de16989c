// Original file: proto/kubeadm_ha/v1/agent.proto


export interface WriteFilesResult {
  'changedPaths'?: (string)[];
}

export interface WriteFilesResult__Output {
  'changedPaths': (string)[];
}
