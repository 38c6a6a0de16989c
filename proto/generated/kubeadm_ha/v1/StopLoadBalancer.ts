// Original file: proto/kubeadm_ha/v1/agent.proto


export interface StopLoadBalancer {
}

export interface StopLoadBalancer__Output {
}
