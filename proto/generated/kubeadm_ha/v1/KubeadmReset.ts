// Original file: proto/kubeadm_ha/v1/agent.proto


export interface KubeadmReset {
}

export interface KubeadmReset__Output {
}
