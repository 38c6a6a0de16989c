// Original file: proto/kubeadm_ha/v1/agent.proto


export interface InstallPackages {
  'packages'?: (string)[];
  'version'?: (string);
  'binariesDir'?: (string);
}

export interface InstallPackages__Output {
  'packages': (string)[];
  'version': (string);
  'binariesDir': (string);
}
