// Original file: proto/kubeadm_ha/v1/agent.proto

import type { EtcdMember as _kubeadm_ha_v1_EtcdMember, EtcdMember__Output as _kubeadm_ha_v1_EtcdMember__Output } from '../../kubeadm_ha/v1/EtcdMember.js';
import type { EtcdEndpointStatus as _kubeadm_ha_v1_EtcdEndpointStatus, EtcdEndpointStatus__Output as _kubeadm_ha_v1_EtcdEndpointStatus__Output } from '../../kubeadm_ha/v1/EtcdEndpointStatus.js';
import type { EtcdAlarm as _kubeadm_ha_v1_EtcdAlarm, EtcdAlarm__Output as _kubeadm_ha_v1_EtcdAlarm__Output } from '../../kubeadm_ha/v1/EtcdAlarm.js';

export interface EtcdStatusResult {
  'members'?: (_kubeadm_ha_v1_EtcdMember)[];
  'membersError'?: (string);
  'endpoint'?: (_kubeadm_ha_v1_EtcdEndpointStatus | null);
  'endpointError'?: (string);
  'alarms'?: (_kubeadm_ha_v1_EtcdAlarm)[];
  'alarmsError'?: (string);
}

export interface EtcdStatusResult__Output {
  'members': (_kubeadm_ha_v1_EtcdMember__Output)[];
  'membersError': (string);
  'endpoint': (_kubeadm_ha_v1_EtcdEndpointStatus__Output | null);
  'endpointError': (string);
  'alarms': (_kubeadm_ha_v1_EtcdAlarm__Output)[];
  'alarmsError': (string);
}
