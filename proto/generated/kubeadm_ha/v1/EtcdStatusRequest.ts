// Original file: proto/kubeadm_ha/v1/admin.proto


export interface EtcdStatusRequest {
}

export interface EtcdStatusRequest__Output {
}
