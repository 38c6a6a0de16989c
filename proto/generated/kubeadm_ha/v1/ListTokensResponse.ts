// Original file: proto/kubeadm_ha/v1/admin.proto

import type { TokenInfo as _kubeadm_ha_v1_TokenInfo, TokenInfo__Output as _kubeadm_ha_v1_TokenInfo__Output } from '../../kubeadm_ha/v1/TokenInfo.js';

export interface ListTokensResponse {
  'tokens'?: (_kubeadm_ha_v1_TokenInfo)[];
}

export interface ListTokensResponse__Output {
  'tokens': (_kubeadm_ha_v1_TokenInfo__Output)[];
}
