// Original file: proto/kubeadm_ha/v1/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface EtcdEndpointStatus {
  'memberId'?: (string);
  'leaderId'?: (string);
  'raftTerm'?: (number | string | Long);
  'raftIndex'?: (number | string | Long);
  'dbSize'?: (number | string | Long);
  'dbSizeInUse'?: (number | string | Long);
  'version'?: (string);
  'errors'?: (string)[];
  'dbSizeQuota'?: (number | string | Long);
  'isLearner'?: (boolean);
  'revision'?: (number | string | Long);
}

export interface EtcdEndpointStatus__Output {
  'memberId': (string);
  'leaderId': (string);
  'raftTerm': (number);
  'raftIndex': (number);
  'dbSize': (number);
  'dbSizeInUse': (number);
  'version': (string);
  'errors': (string)[];
  'dbSizeQuota': (number);
  'isLearner': (boolean);
  'revision': (number);
}
