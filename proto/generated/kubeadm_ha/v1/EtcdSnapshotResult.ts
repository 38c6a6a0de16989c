// Original file: proto/kubeadm_ha/v1/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface EtcdSnapshotResult {
  'size'?: (number | string | Long);
  'sha256'?: (string);
  'revision'?: (number | string | Long);
  'memberId'?: (string);
  'memberName'?: (string);
}

export interface EtcdSnapshotResult__Output {
  'size': (number);
  'sha256': (string);
  'revision': (number);
  'memberId': (string);
  'memberName': (string);
}
