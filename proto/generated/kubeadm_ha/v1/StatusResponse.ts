// Original file: proto/kubeadm_ha/v1/admin.proto

import type { PhaseStatus as _kubeadm_ha_v1_PhaseStatus, PhaseStatus__Output as _kubeadm_ha_v1_PhaseStatus__Output } from '../../kubeadm_ha/v1/PhaseStatus.js';
import type { CertificateExpiry as _kubeadm_ha_v1_CertificateExpiry, CertificateExpiry__Output as _kubeadm_ha_v1_CertificateExpiry__Output } from '../../kubeadm_ha/v1/CertificateExpiry.js';
import type { OperationSummary as _kubeadm_ha_v1_OperationSummary, OperationSummary__Output as _kubeadm_ha_v1_OperationSummary__Output } from '../../kubeadm_ha/v1/OperationSummary.js';
import type { Long } from '@grpc/proto-loader';

export interface StatusResponse {
  'clusterName'?: (string);
  'specPresent'?: (boolean);
  'phases'?: (_kubeadm_ha_v1_PhaseStatus)[];
  'lbBackendVersion'?: (number | string | Long);
  'vip'?: (string);
  'agentsRegistered'?: (number);
  'agentsConnected'?: (number);
  'certificates'?: (_kubeadm_ha_v1_CertificateExpiry)[];
  'operations'?: (_kubeadm_ha_v1_OperationSummary)[];
}

export interface StatusResponse__Output {
  'clusterName': (string);
  'specPresent': (boolean);
  'phases': (_kubeadm_ha_v1_PhaseStatus__Output)[];
  'lbBackendVersion': (number);
  'vip': (string);
  'agentsRegistered': (number);
  'agentsConnected': (number);
  'certificates': (_kubeadm_ha_v1_CertificateExpiry__Output)[];
  'operations': (_kubeadm_ha_v1_OperationSummary__Output)[];
}
