// Original file: proto/kubeadm_ha/v1/admin.proto


export interface LeaderRequest {
}

export interface LeaderRequest__Output {
}
