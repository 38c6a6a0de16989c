// Original file: proto/kubeadm_ha/v1/admin.proto


export interface CertsCheckRequest {
}

export interface CertsCheckRequest__Output {
}
