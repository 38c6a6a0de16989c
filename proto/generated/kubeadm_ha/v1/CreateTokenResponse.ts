// Original file: proto/kubeadm_ha/v1/admin.proto


export interface CreateTokenResponse {
  'token'?: (string);
  'caPin'?: (string);
  'coordinatorAddress'?: (string);
  'expires'?: (string);
}

export interface CreateTokenResponse__Output {
  'token': (string);
  'caPin': (string);
  'coordinatorAddress': (string);
  'expires': (string);
}
