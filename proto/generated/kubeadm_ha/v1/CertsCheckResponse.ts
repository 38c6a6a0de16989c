// Original file: proto/kubeadm_ha/v1/admin.proto

import type { CertificateRow as _kubeadm_ha_v1_CertificateRow, CertificateRow__Output as _kubeadm_ha_v1_CertificateRow__Output } from '../../kubeadm_ha/v1/CertificateRow.js';

export interface CertsCheckResponse {
  'rows'?: (_kubeadm_ha_v1_CertificateRow)[];
  'problems'?: (string)[];
}

export interface CertsCheckResponse__Output {
  'rows': (_kubeadm_ha_v1_CertificateRow__Output)[];
  'problems': (string)[];
}
