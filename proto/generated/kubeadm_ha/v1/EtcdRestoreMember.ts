// Original file: proto/kubeadm_ha/v1/agent.proto

import type { EtcdRestorePeer as _kubeadm_ha_v1_EtcdRestorePeer, EtcdRestorePeer__Output as _kubeadm_ha_v1_EtcdRestorePeer__Output } from '../../kubeadm_ha/v1/EtcdRestorePeer.js';

export interface EtcdRestoreMember {
  'restoreId'?: (string);
  'name'?: (string);
  'peerUrl'?: (string);
  'initialCluster'?: (_kubeadm_ha_v1_EtcdRestorePeer)[];
  'criSocket'?: (string);
  'timeoutMs'?: (number);
}

export interface EtcdRestoreMember__Output {
  'restoreId': (string);
  'name': (string);
  'peerUrl': (string);
  'initialCluster': (_kubeadm_ha_v1_EtcdRestorePeer__Output)[];
  'criSocket': (string);
  'timeoutMs': (number);
}
