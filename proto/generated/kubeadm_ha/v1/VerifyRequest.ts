// Original file: proto/kubeadm_ha/v1/admin.proto


export interface VerifyRequest {
  'failover'?: (boolean);
}

export interface VerifyRequest__Output {
  'failover': (boolean);
}
