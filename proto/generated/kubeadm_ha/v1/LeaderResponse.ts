// Original file: proto/kubeadm_ha/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface LeaderResponse {
  'leader'?: (string);
  'coordinator'?: (string);
  'leading'?: (boolean);
  'term'?: (number | string | Long);
}

export interface LeaderResponse__Output {
  'leader': (string);
  'coordinator': (string);
  'leading': (boolean);
  'term': (number);
}
