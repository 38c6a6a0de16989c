// Original file: proto/kubeadm_ha/v1/agent.proto


export interface Heartbeat {
}

export interface Heartbeat__Output {
}
