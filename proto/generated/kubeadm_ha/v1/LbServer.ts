// Original file: proto/kubeadm_ha/v1/agent.proto


export interface LbServer {
  'backend'?: (string);
  'name'?: (string);
  'address'?: (string);
  'port'?: (number);
  'state'?: (string);
  'checkStatus'?: (string);
  'sessions'?: (number);
}

export interface LbServer__Output {
  'backend': (string);
  'name': (string);
  'address': (string);
  'port': (number);
  'state': (string);
  'checkStatus': (string);
  'sessions': (number);
}
