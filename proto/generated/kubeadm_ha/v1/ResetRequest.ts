// Original file: proto/kubeadm_ha/v1/admin.proto


export interface ResetRequest {
}

export interface ResetRequest__Output {
}
