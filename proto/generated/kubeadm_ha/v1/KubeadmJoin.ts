// Original file: proto/kubeadm_ha/v1/agent.proto


export interface KubeadmJoin {
  'configPath'?: (string);
  'ignorePreflightErrors'?: (string)[];
}

export interface KubeadmJoin__Output {
  'configPath': (string);
  'ignorePreflightErrors': (string)[];
}
