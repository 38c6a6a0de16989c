// Original file: proto/kubeadm_ha/v1/agent.proto

import type { HostFacts as _kubeadm_ha_v1_HostFacts, HostFacts__Output as _kubeadm_ha_v1_HostFacts__Output } from '../../kubeadm_ha/v1/HostFacts.js';
import type { Long } from '@grpc/proto-loader';

export interface Hello {
  'agentName'?: (string);
  'agentVersion'?: (string);
  'appliedLbVersion'?: (number | string | Long);
  'facts'?: (_kubeadm_ha_v1_HostFacts | null);
  'unfinishedTask'?: (string);
}

export interface Hello__Output {
  'agentName': (string);
  'agentVersion': (string);
  'appliedLbVersion': (number);
  'facts': (_kubeadm_ha_v1_HostFacts__Output | null);
  'unfinishedTask': (string);
}
