// Original file: proto/kubeadm_ha/v1/agent.proto


export interface NodeVersions {
}

export interface NodeVersions__Output {
}
