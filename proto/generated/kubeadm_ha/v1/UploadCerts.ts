// Original file: proto/kubeadm_ha/v1/agent.proto


export interface UploadCerts {
  'configPath'?: (string);
  'certificateKey'?: (string);
}

export interface UploadCerts__Output {
  'configPath': (string);
  'certificateKey': (string);
}
