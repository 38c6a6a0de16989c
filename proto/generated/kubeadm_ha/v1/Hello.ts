// Original file: proto/kubeadm_ha/v1/agent.proto

import type { HostFacts as _kubeadm_ha_v1_HostFacts, HostFacts__Output as _kubeadm_ha_v1_HostFacts__Output } from '../../kubeadm_ha/v1/HostFacts.js';
import type { AgentStatus as _kubeadm_ha_v1_AgentStatus, AgentStatus__Output as _kubeadm_ha_v1_AgentStatus__Output } from '../../kubeadm_ha/v1/AgentStatus.js';
import type { Long } from '@grpc/proto-loader';

export interface Hello {
  'agentName'?: (string);
  'agentVersion'?: (string);
  'appliedLbVersion'?: (number | string | Long);
  'facts'?: (_kubeadm_ha_v1_HostFacts | null);
  'unfinishedTask'?: (string);
  'status'?: (_kubeadm_ha_v1_AgentStatus | null);
}

export interface Hello__Output {
  'agentName': (string);
  'agentVersion': (string);
  'appliedLbVersion': (number);
  'facts': (_kubeadm_ha_v1_HostFacts__Output | null);
  'unfinishedTask': (string);
  'status': (_kubeadm_ha_v1_AgentStatus__Output | null);
}
