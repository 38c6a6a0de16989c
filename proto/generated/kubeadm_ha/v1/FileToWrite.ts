// Original file: proto/kubeadm_ha/v1/agent.proto


export interface FileToWrite {
  'path'?: (string);
  'mode'?: (number);
  'content'?: (Buffer | Uint8Array | string);
}

export interface FileToWrite__Output {
  'path': (string);
  'mode': (number);
  'content': (Buffer);
}
