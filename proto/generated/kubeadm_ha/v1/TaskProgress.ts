// Original file: proto/kubeadm_ha/v1/agent.proto


export interface TaskProgress {
  'taskId'?: (string);
  'line'?: (string);
  'data'?: (Buffer | Uint8Array | string);
}

export interface TaskProgress__Output {
  'taskId': (string);
  'line': (string);
  'data': (Buffer);
}
