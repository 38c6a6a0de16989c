// Original file: proto/kubeadm_ha/v1/agent.proto


export interface InstallPackagesResult {
  'manager'?: (string);
  'lines'?: (string)[];
}

export interface InstallPackagesResult__Output {
  'manager': (string);
  'lines': (string)[];
}
