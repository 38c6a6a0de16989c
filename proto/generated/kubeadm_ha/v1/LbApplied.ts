// Original file: proto/kubeadm_ha/v1/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface LbApplied {
  'version'?: (number | string | Long);
}

export interface LbApplied__Output {
  'version': (number);
}
