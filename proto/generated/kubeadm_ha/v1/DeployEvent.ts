// Original file: proto/kubeadm_ha/v1/admin.proto

import type { LogLevel as _kubeadm_ha_v1_LogLevel, LogLevel__Output as _kubeadm_ha_v1_LogLevel__Output } from '../../kubeadm_ha/v1/LogLevel.js';
import type { ErrorDetail as _kubeadm_ha_v1_ErrorDetail, ErrorDetail__Output as _kubeadm_ha_v1_ErrorDetail__Output } from '../../kubeadm_ha/v1/ErrorDetail.js';

export interface DeployEvent {
  'phase'?: (string);
  'host'?: (string);
  'message'?: (string);
  'level'?: (_kubeadm_ha_v1_LogLevel);
  'done'?: (boolean);
  'error'?: (_kubeadm_ha_v1_ErrorDetail | null);
}

export interface DeployEvent__Output {
  'phase': (string);
  'host': (string);
  'message': (string);
  'level': (_kubeadm_ha_v1_LogLevel__Output);
  'done': (boolean);
  'error': (_kubeadm_ha_v1_ErrorDetail__Output | null);
}
