// Original file: proto/kubeadm_ha/v1/common.proto


export interface NetworkInterface {
  'name'?: (string);
  'mac'?: (string);
  'mtu'?: (number);
  'up'?: (boolean);
}

export interface NetworkInterface__Output {
  'name': (string);
  'mac': (string);
  'mtu': (number);
  'up': (boolean);
}
