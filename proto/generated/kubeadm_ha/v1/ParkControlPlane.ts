// Original file: proto/kubeadm_ha/v1/agent.proto


export interface ParkControlPlane {
  'park'?: (boolean);
  'components'?: (string)[];
  'criSocket'?: (string);
  'waitTimeoutMs'?: (number);
}

export interface ParkControlPlane__Output {
  'park': (boolean);
  'components': (string)[];
  'criSocket': (string);
  'waitTimeoutMs': (number);
}
