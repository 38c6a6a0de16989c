// Original file: proto/kubeadm_ha/v1/agent.proto


export interface EtcdAlarm {
  'memberId'?: (string);
  'alarm'?: (string);
}

export interface EtcdAlarm__Output {
  'memberId': (string);
  'alarm': (string);
}
