// Original file: proto/kubeadm_ha/v1/common.proto

import type { HostAddress as _kubeadm_ha_v1_HostAddress, HostAddress__Output as _kubeadm_ha_v1_HostAddress__Output } from '../../kubeadm_ha/v1/HostAddress.js';
import type { NetworkInterface as _kubeadm_ha_v1_NetworkInterface, NetworkInterface__Output as _kubeadm_ha_v1_NetworkInterface__Output } from '../../kubeadm_ha/v1/NetworkInterface.js';
import type { ContainerRuntime as _kubeadm_ha_v1_ContainerRuntime, ContainerRuntime__Output as _kubeadm_ha_v1_ContainerRuntime__Output } from '../../kubeadm_ha/v1/ContainerRuntime.js';
import type { Long } from '@grpc/proto-loader';

export interface HostFacts {
  'hostname'?: (string);
  'addresses'?: (_kubeadm_ha_v1_HostAddress)[];
  'interfaces'?: (_kubeadm_ha_v1_NetworkInterface)[];
  'kernel'?: (string);
  'osRelease'?: (string);
  'kubeadmVersion'?: (string);
  'kubeletVersion'?: (string);
  'cri'?: (_kubeadm_ha_v1_ContainerRuntime | null);
  'kubeletInstalledByPackageManager'?: (boolean);
  'swapOn'?: (boolean);
  'arch'?: (string);
  'cpus'?: (number);
  'memoryBytes'?: (number | string | Long);
  'timeSynchronized'?: (boolean);
  'machineId'?: (string);
}

export interface HostFacts__Output {
  'hostname': (string);
  'addresses': (_kubeadm_ha_v1_HostAddress__Output)[];
  'interfaces': (_kubeadm_ha_v1_NetworkInterface__Output)[];
  'kernel': (string);
  'osRelease': (string);
  'kubeadmVersion': (string);
  'kubeletVersion': (string);
  'cri': (_kubeadm_ha_v1_ContainerRuntime__Output | null);
  'kubeletInstalledByPackageManager': (boolean);
  'swapOn': (boolean);
  'arch': (string);
  'cpus': (number);
  'memoryBytes': (number);
  'timeSynchronized': (boolean);
  'machineId': (string);
}
