// Original file: proto/kubeadm_ha/v1/agent.proto


export interface LbStatus {
}

export interface LbStatus__Output {
}
