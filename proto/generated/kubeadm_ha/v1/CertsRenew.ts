// Original file: proto/kubeadm_ha/v1/agent.proto


export interface CertsRenew {
}

export interface CertsRenew__Output {
}
