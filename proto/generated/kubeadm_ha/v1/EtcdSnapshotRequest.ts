// Original file: proto/kubeadm_ha/v1/admin.proto


export interface EtcdSnapshotRequest {
  'keep'?: (number);
}

export interface EtcdSnapshotRequest__Output {
  'keep': (number);
}
