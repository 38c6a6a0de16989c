// Original file: proto/kubeadm_ha/v1/common.proto

import type { ErrorCode as _kubeadm_ha_v1_ErrorCode, ErrorCode__Output as _kubeadm_ha_v1_ErrorCode__Output } from '../../kubeadm_ha/v1/ErrorCode.js';
import type { ErrorIssue as _kubeadm_ha_v1_ErrorIssue, ErrorIssue__Output as _kubeadm_ha_v1_ErrorIssue__Output } from '../../kubeadm_ha/v1/ErrorIssue.js';

export interface ErrorDetail {
  'code'?: (_kubeadm_ha_v1_ErrorCode);
  'message'?: (string);
  'phase'?: (string);
  'host'?: (string);
  'command'?: (string);
  'exitCode'?: (number);
  'killed'?: (boolean);
  'stderrTail'?: (string);
  'source'?: (string);
  'issues'?: (_kubeadm_ha_v1_ErrorIssue)[];
  'leader'?: (string);
}

export interface ErrorDetail__Output {
  'code': (_kubeadm_ha_v1_ErrorCode__Output);
  'message': (string);
  'phase': (string);
  'host': (string);
  'command': (string);
  'exitCode': (number);
  'killed': (boolean);
  'stderrTail': (string);
  'source': (string);
  'issues': (_kubeadm_ha_v1_ErrorIssue__Output)[];
  'leader': (string);
}
