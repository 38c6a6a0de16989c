// Original file: proto/kubeadm_ha/v1/common.proto


export interface ContainerRuntime {
  'socket'?: (string);
  'present'?: (boolean);
  'version'?: (string);
}

export interface ContainerRuntime__Output {
  'socket': (string);
  'present': (boolean);
  'version': (string);
}
