// Original file: proto/kubeadm_ha/v1/agent.proto


export interface DeleteCertsSecret {
}

export interface DeleteCertsSecret__Output {
}
