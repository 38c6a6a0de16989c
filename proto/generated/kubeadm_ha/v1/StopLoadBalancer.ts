// Original file: proto/kubeadm_ha/v1/agent.proto


export interface StopLoadBalancer {
  'criSocket'?: (string);
  'waitTimeoutMs'?: (number);
  'runAs'?: (string);
}

export interface StopLoadBalancer__Output {
  'criSocket': (string);
  'waitTimeoutMs': (number);
  'runAs': (string);
}
