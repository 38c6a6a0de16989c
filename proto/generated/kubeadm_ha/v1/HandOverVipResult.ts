// Original file: proto/kubeadm_ha/v1/agent.proto


export interface HandOverVipResult {
  'heldNewConnections'?: (boolean);
  'openAtStart'?: (number);
  'cut'?: (number);
  'drainMs'?: (number);
  'releaseMs'?: (number);
}

export interface HandOverVipResult__Output {
  'heldNewConnections': (boolean);
  'openAtStart': (number);
  'cut': (number);
  'drainMs': (number);
  'releaseMs': (number);
}
