// Original file: proto/kubeadm_ha/v1/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface EtcdStageSnapshot {
  'restoreId'?: (string);
  'offset'?: (number | string | Long);
  'data'?: (Buffer | Uint8Array | string);
  'totalSize'?: (number | string | Long);
  'sha256'?: (string);
  'last'?: (boolean);
  'name'?: (string);
  'peerUrl'?: (string);
}

export interface EtcdStageSnapshot__Output {
  'restoreId': (string);
  'offset': (number);
  'data': (Buffer);
  'totalSize': (number);
  'sha256': (string);
  'last': (boolean);
  'name': (string);
  'peerUrl': (string);
}
