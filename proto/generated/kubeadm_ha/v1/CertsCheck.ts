// Original file: proto/kubeadm_ha/v1/agent.proto


export interface CertsCheck {
  'controlPlane'?: (boolean);
}

export interface CertsCheck__Output {
  'controlPlane': (boolean);
}
