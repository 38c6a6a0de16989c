// Original file: proto/kubeadm_ha/v1/agent.proto

import type { CertificateValidity as _kubeadm_ha_v1_CertificateValidity, CertificateValidity__Output as _kubeadm_ha_v1_CertificateValidity__Output } from '../../kubeadm_ha/v1/CertificateValidity.js';

export interface CertsCheckResult {
  'certificates'?: (_kubeadm_ha_v1_CertificateValidity)[];
  'authorities'?: (_kubeadm_ha_v1_CertificateValidity)[];
  'kubeletClient'?: (_kubeadm_ha_v1_CertificateValidity | null);
}

export interface CertsCheckResult__Output {
  'certificates': (_kubeadm_ha_v1_CertificateValidity__Output)[];
  'authorities': (_kubeadm_ha_v1_CertificateValidity__Output)[];
  'kubeletClient': (_kubeadm_ha_v1_CertificateValidity__Output | null);
}
