// Original file: proto/kubeadm_ha/v1/agent.proto

import type { ErrorDetail as _kubeadm_ha_v1_ErrorDetail, ErrorDetail__Output as _kubeadm_ha_v1_ErrorDetail__Output } from '../../kubeadm_ha/v1/ErrorDetail.js';

export interface CertificateIssued {
  'clientCertPem'?: (string);
  'notAfter'?: (string);
  'error'?: (_kubeadm_ha_v1_ErrorDetail | null);
}

export interface CertificateIssued__Output {
  'clientCertPem': (string);
  'notAfter': (string);
  'error': (_kubeadm_ha_v1_ErrorDetail__Output | null);
}
