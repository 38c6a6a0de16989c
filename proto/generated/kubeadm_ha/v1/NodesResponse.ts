// Original file: proto/kubeadm_ha/v1/admin.proto

import type { NodeInfo as _kubeadm_ha_v1_NodeInfo, NodeInfo__Output as _kubeadm_ha_v1_NodeInfo__Output } from '../../kubeadm_ha/v1/NodeInfo.js';
import type { Long } from '@grpc/proto-loader';

export interface NodesResponse {
  'nodes'?: (_kubeadm_ha_v1_NodeInfo)[];
  'lbBackendVersion'?: (number | string | Long);
}

export interface NodesResponse__Output {
  'nodes': (_kubeadm_ha_v1_NodeInfo__Output)[];
  'lbBackendVersion': (number);
}
