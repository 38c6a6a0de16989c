// Original file: proto/kubeadm_ha/v1/agent.proto


export interface KubeadmUpgrade {
  'mode'?: (string);
  'version'?: (string);
}

export interface KubeadmUpgrade__Output {
  'mode': (string);
  'version': (string);
}
