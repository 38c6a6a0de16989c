// Original file: proto/kubeadm_ha/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface EtcdMemberRow {
  'name'?: (string);
  'id'?: (string);
  'peerUrl'?: (string);
  'leader'?: (boolean);
  'learner'?: (boolean);
  'dbSize'?: (number | string | Long);
  'dbQuota'?: (number | string | Long);
  'health'?: (string);
  'alarms'?: (string)[];
  'node'?: (string);
}

export interface EtcdMemberRow__Output {
  'name': (string);
  'id': (string);
  'peerUrl': (string);
  'leader': (boolean);
  'learner': (boolean);
  'dbSize': (number);
  'dbQuota': (number);
  'health': (string);
  'alarms': (string)[];
  'node': (string);
}
