// Original file: proto/kubeadm_ha/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface EtcdSnapshotResponse {
  'path'?: (string);
  'size'?: (number | string | Long);
  'revision'?: (number | string | Long);
  'sha256'?: (string);
  'node'?: (string);
  'pruned'?: (string)[];
}

export interface EtcdSnapshotResponse__Output {
  'path': (string);
  'size': (number);
  'revision': (number);
  'sha256': (string);
  'node': (string);
  'pruned': (string)[];
}
