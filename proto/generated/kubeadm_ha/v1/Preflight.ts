// Original file: proto/kubeadm_ha/v1/agent.proto


export interface Preflight {
  'kubeProxyMode'?: (string);
  'kubernetesVersion'?: (string);
  'vip'?: (string);
  'lbPort'?: (number);
  'apiserverPort'?: (number);
  'isControlPlane'?: (boolean);
  'nodeName'?: (string);
  'runsLoadBalancer'?: (boolean);
  'vipInterface'?: (string);
  'nodeAddress'?: (string);
  'criSocket'?: (string);
  'virtualRouterId'?: (number);
  'vrrpListenMs'?: (number);
  'clusterAddresses'?: (string)[];
}

export interface Preflight__Output {
  'kubeProxyMode': (string);
  'kubernetesVersion': (string);
  'vip': (string);
  'lbPort': (number);
  'apiserverPort': (number);
  'isControlPlane': (boolean);
  'nodeName': (string);
  'runsLoadBalancer': (boolean);
  'vipInterface': (string);
  'nodeAddress': (string);
  'criSocket': (string);
  'virtualRouterId': (number);
  'vrrpListenMs': (number);
  'clusterAddresses': (string)[];
}
