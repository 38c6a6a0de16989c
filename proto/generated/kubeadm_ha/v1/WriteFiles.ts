// Original file: proto/kubeadm_ha/v1/agent.proto

import type { FileToWrite as _kubeadm_ha_v1_FileToWrite, FileToWrite__Output as _kubeadm_ha_v1_FileToWrite__Output } from '../../kubeadm_ha/v1/FileToWrite.js';

export interface WriteFiles {
  'files'?: (_kubeadm_ha_v1_FileToWrite)[];
  'removePaths'?: (string)[];
}

export interface WriteFiles__Output {
  'files': (_kubeadm_ha_v1_FileToWrite__Output)[];
  'removePaths': (string)[];
}
