// Original file: proto/kubeadm_ha/v1/agent.proto

import type { LbServer as _kubeadm_ha_v1_LbServer, LbServer__Output as _kubeadm_ha_v1_LbServer__Output } from '../../kubeadm_ha/v1/LbServer.js';

export interface AgentStatus {
  'vrrpState'?: (string);
  'holdsVip'?: (boolean);
  'lbServers'?: (_kubeadm_ha_v1_LbServer)[];
  'loadBalancer'?: (boolean);
}

export interface AgentStatus__Output {
  'vrrpState': (string);
  'holdsVip': (boolean);
  'lbServers': (_kubeadm_ha_v1_LbServer__Output)[];
  'loadBalancer': (boolean);
}
