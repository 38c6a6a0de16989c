// Original file: proto/kubeadm_ha/v1/admin.proto


export interface ListTokensRequest {
}

export interface ListTokensRequest__Output {
}
