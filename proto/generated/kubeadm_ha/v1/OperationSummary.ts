// Original file: proto/kubeadm_ha/v1/admin.proto


export interface OperationSummary {
  'kind'?: (string);
  'key'?: (string);
  'status'?: (string);
  'startedAt'?: (string);
  'finishedAt'?: (string);
  'error'?: (string);
  'automatic'?: (boolean);
}

export interface OperationSummary__Output {
  'kind': (string);
  'key': (string);
  'status': (string);
  'startedAt': (string);
  'finishedAt': (string);
  'error': (string);
  'automatic': (boolean);
}
