// Original file: proto/kubeadm_ha/v1/agent.proto


export interface RestartKubelet {
}

export interface RestartKubelet__Output {
}
