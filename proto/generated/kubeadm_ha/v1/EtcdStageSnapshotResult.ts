// Original file: proto/kubeadm_ha/v1/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface EtcdStageSnapshotResult {
  'received'?: (number | string | Long);
  'staged'?: (boolean);
  'alreadyRestored'?: (boolean);
}

export interface EtcdStageSnapshotResult__Output {
  'received': (number);
  'staged': (boolean);
  'alreadyRestored': (boolean);
}
