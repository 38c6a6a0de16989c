// Original file: proto/kubeadm_ha/v1/agent.proto


export interface StartLoadBalancer {
}

export interface StartLoadBalancer__Output {
}
