// Original file: proto/kubeadm_ha/v1/agent.proto


export interface EtcdRestoreMemberResult {
  'alreadyRestored'?: (boolean);
  'dataDir'?: (string);
  'previousDataDir'?: (string);
  'revisionBumped'?: (boolean);
  'detail'?: (string);
}

export interface EtcdRestoreMemberResult__Output {
  'alreadyRestored': (boolean);
  'dataDir': (string);
  'previousDataDir': (string);
  'revisionBumped': (boolean);
  'detail': (string);
}
