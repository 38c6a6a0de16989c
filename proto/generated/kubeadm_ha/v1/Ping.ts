// Original file: proto/kubeadm_ha/v1/agent.proto


export interface Ping {
}

export interface Ping__Output {
}
