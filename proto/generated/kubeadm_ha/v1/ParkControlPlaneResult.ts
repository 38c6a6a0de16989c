// Original file: proto/kubeadm_ha/v1/agent.proto


export interface ParkControlPlaneResult {
  'actions'?: (string)[];
}

export interface ParkControlPlaneResult__Output {
  'actions': (string)[];
}
