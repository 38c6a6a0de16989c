// Original file: proto/kubeadm_ha/v1/admin.proto


export interface UploadTrustResponse {
  'key'?: (string);
  'expires'?: (string);
  'caPin'?: (string);
}

export interface UploadTrustResponse__Output {
  'key': (string);
  'expires': (string);
  'caPin': (string);
}
