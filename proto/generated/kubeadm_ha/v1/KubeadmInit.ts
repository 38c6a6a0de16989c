// Original file: proto/kubeadm_ha/v1/agent.proto


export interface KubeadmInit {
  'configPath'?: (string);
  'certificateKey'?: (string);
  'ignorePreflightErrors'?: (string)[];
}

export interface KubeadmInit__Output {
  'configPath': (string);
  'certificateKey': (string);
  'ignorePreflightErrors': (string)[];
}
