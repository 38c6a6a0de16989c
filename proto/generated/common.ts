import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { ContainerRuntime as _kubeadm_ha_v1_ContainerRuntime, ContainerRuntime__Output as _kubeadm_ha_v1_ContainerRuntime__Output } from './kubeadm_ha/v1/ContainerRuntime.js';
import type { ErrorDetail as _kubeadm_ha_v1_ErrorDetail, ErrorDetail__Output as _kubeadm_ha_v1_ErrorDetail__Output } from './kubeadm_ha/v1/ErrorDetail.js';
import type { ErrorIssue as _kubeadm_ha_v1_ErrorIssue, ErrorIssue__Output as _kubeadm_ha_v1_ErrorIssue__Output } from './kubeadm_ha/v1/ErrorIssue.js';
import type { HostAddress as _kubeadm_ha_v1_HostAddress, HostAddress__Output as _kubeadm_ha_v1_HostAddress__Output } from './kubeadm_ha/v1/HostAddress.js';
import type { HostFacts as _kubeadm_ha_v1_HostFacts, HostFacts__Output as _kubeadm_ha_v1_HostFacts__Output } from './kubeadm_ha/v1/HostFacts.js';
import type { NetworkInterface as _kubeadm_ha_v1_NetworkInterface, NetworkInterface__Output as _kubeadm_ha_v1_NetworkInterface__Output } from './kubeadm_ha/v1/NetworkInterface.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  kubeadm_ha: {
    v1: {
      AddressFamily: EnumTypeDefinition
      ContainerRuntime: MessageTypeDefinition<_kubeadm_ha_v1_ContainerRuntime, _kubeadm_ha_v1_ContainerRuntime__Output>
      ErrorCode: EnumTypeDefinition
      ErrorDetail: MessageTypeDefinition<_kubeadm_ha_v1_ErrorDetail, _kubeadm_ha_v1_ErrorDetail__Output>
      ErrorIssue: MessageTypeDefinition<_kubeadm_ha_v1_ErrorIssue, _kubeadm_ha_v1_ErrorIssue__Output>
      HostAddress: MessageTypeDefinition<_kubeadm_ha_v1_HostAddress, _kubeadm_ha_v1_HostAddress__Output>
      HostFacts: MessageTypeDefinition<_kubeadm_ha_v1_HostFacts, _kubeadm_ha_v1_HostFacts__Output>
      LogLevel: EnumTypeDefinition
      NetworkInterface: MessageTypeDefinition<_kubeadm_ha_v1_NetworkInterface, _kubeadm_ha_v1_NetworkInterface__Output>
      Role: EnumTypeDefinition
    }
  }
}

