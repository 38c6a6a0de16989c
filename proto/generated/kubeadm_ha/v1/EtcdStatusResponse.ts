// Original file: proto/kubeadm_ha/v1/admin.proto

import type { EtcdMemberRow as _kubeadm_ha_v1_EtcdMemberRow, EtcdMemberRow__Output as _kubeadm_ha_v1_EtcdMemberRow__Output } from '../../kubeadm_ha/v1/EtcdMemberRow.js';

export interface EtcdStatusResponse {
  'members'?: (_kubeadm_ha_v1_EtcdMemberRow)[];
  'problems'?: (string)[];
  'warnings'?: (string)[];
  'healthy'?: (boolean);
  'skipped'?: (string);
}

export interface EtcdStatusResponse__Output {
  'members': (_kubeadm_ha_v1_EtcdMemberRow__Output)[];
  'problems': (string)[];
  'warnings': (string)[];
  'healthy': (boolean);
  'skipped': (string);
}
