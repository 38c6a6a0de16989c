// Original file: proto/kubeadm_ha/v1/admin.proto


export interface UploadTrustRequest {
}

export interface UploadTrustRequest__Output {
}
