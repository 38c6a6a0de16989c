// Original file: proto/kubeadm_ha/v1/agent.proto

import type { LbServer as _kubeadm_ha_v1_LbServer, LbServer__Output as _kubeadm_ha_v1_LbServer__Output } from '../../kubeadm_ha/v1/LbServer.js';
import type { Long } from '@grpc/proto-loader';

export interface LbStatusResult {
  'servers'?: (_kubeadm_ha_v1_LbServer)[];
  'appliedVersion'?: (number | string | Long);
}

export interface LbStatusResult__Output {
  'servers': (_kubeadm_ha_v1_LbServer__Output)[];
  'appliedVersion': (number);
}
