// Original file: proto/kubeadm_ha/v1/agent.proto


export interface NodeStatus {
  'nodeName'?: (string);
  'server'?: (string);
}

export interface NodeStatus__Output {
  'nodeName': (string);
  'server': (string);
}
