// Original file: proto/kubeadm_ha/v1/admin.proto


export interface StatusRequest {
}

export interface StatusRequest__Output {
}
