// Original file: proto/kubeadm_ha/v1/admin.proto


export interface NodesRequest {
}

export interface NodesRequest__Output {
}
