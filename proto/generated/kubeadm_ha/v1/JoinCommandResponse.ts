// Original file: proto/kubeadm_ha/v1/admin.proto


export interface JoinCommandResponse {
  'agentConfigYaml'?: (string);
  'command'?: (string);
  'token'?: (string);
  'caPin'?: (string);
  'coordinatorAddress'?: (string);
  'expires'?: (string);
}

export interface JoinCommandResponse__Output {
  'agentConfigYaml': (string);
  'command': (string);
  'token': (string);
  'caPin': (string);
  'coordinatorAddress': (string);
  'expires': (string);
}
