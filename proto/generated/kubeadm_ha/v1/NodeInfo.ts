// Original file: proto/kubeadm_ha/v1/admin.proto

import type { Role as _kubeadm_ha_v1_Role, Role__Output as _kubeadm_ha_v1_Role__Output } from '../../kubeadm_ha/v1/Role.js';
import type { HostFacts as _kubeadm_ha_v1_HostFacts, HostFacts__Output as _kubeadm_ha_v1_HostFacts__Output } from '../../kubeadm_ha/v1/HostFacts.js';
import type { Long } from '@grpc/proto-loader';

export interface NodeInfo {
  'name'?: (string);
  'role'?: (_kubeadm_ha_v1_Role);
  'connected'?: (boolean);
  'joined'?: (boolean);
  'agentVersion'?: (string);
  'appliedLbVersion'?: (number | string | Long);
  'registered'?: (string);
  'lastSeen'?: (string);
  'facts'?: (_kubeadm_ha_v1_HostFacts | null);
  'pending'?: (boolean);
  'pendingReason'?: (string);
  'certNotAfter'?: (string);
  'certExpiringSoon'?: (boolean);
}

export interface NodeInfo__Output {
  'name': (string);
  'role': (_kubeadm_ha_v1_Role__Output);
  'connected': (boolean);
  'joined': (boolean);
  'agentVersion': (string);
  'appliedLbVersion': (number);
  'registered': (string);
  'lastSeen': (string);
  'facts': (_kubeadm_ha_v1_HostFacts__Output | null);
  'pending': (boolean);
  'pendingReason': (string);
  'certNotAfter': (string);
  'certExpiringSoon': (boolean);
}
