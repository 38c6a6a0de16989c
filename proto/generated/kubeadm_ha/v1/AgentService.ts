// Original file: proto/kubeadm_ha/v1/agent.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AgentMessage as _kubeadm_ha_v1_AgentMessage, AgentMessage__Output as _kubeadm_ha_v1_AgentMessage__Output } from '../../kubeadm_ha/v1/AgentMessage.js';
import type { CoordinatorMessage as _kubeadm_ha_v1_CoordinatorMessage, CoordinatorMessage__Output as _kubeadm_ha_v1_CoordinatorMessage__Output } from '../../kubeadm_ha/v1/CoordinatorMessage.js';
import type { RegisterRequest as _kubeadm_ha_v1_RegisterRequest, RegisterRequest__Output as _kubeadm_ha_v1_RegisterRequest__Output } from '../../kubeadm_ha/v1/RegisterRequest.js';
import type { RegisterResponse as _kubeadm_ha_v1_RegisterResponse, RegisterResponse__Output as _kubeadm_ha_v1_RegisterResponse__Output } from '../../kubeadm_ha/v1/RegisterResponse.js';

export interface AgentServiceClient extends grpc.Client {
  Register(argument: _kubeadm_ha_v1_RegisterRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  Register(argument: _kubeadm_ha_v1_RegisterRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kubeadm_ha_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  Register(argument: _kubeadm_ha_v1_RegisterRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  Register(argument: _kubeadm_ha_v1_RegisterRequest, callback: grpc.requestCallback<_kubeadm_ha_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  register(argument: _kubeadm_ha_v1_RegisterRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  register(argument: _kubeadm_ha_v1_RegisterRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kubeadm_ha_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  register(argument: _kubeadm_ha_v1_RegisterRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  register(argument: _kubeadm_ha_v1_RegisterRequest, callback: grpc.requestCallback<_kubeadm_ha_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  
  Session(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_kubeadm_ha_v1_AgentMessage, _kubeadm_ha_v1_CoordinatorMessage__Output>;
  Session(options?: grpc.CallOptions): grpc.ClientDuplexStream<_kubeadm_ha_v1_AgentMessage, _kubeadm_ha_v1_CoordinatorMessage__Output>;
  session(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_kubeadm_ha_v1_AgentMessage, _kubeadm_ha_v1_CoordinatorMessage__Output>;
  session(options?: grpc.CallOptions): grpc.ClientDuplexStream<_kubeadm_ha_v1_AgentMessage, _kubeadm_ha_v1_CoordinatorMessage__Output>;
  
}

export interface AgentServiceHandlers extends grpc.UntypedServiceImplementation {
  Register: grpc.handleUnaryCall<_kubeadm_ha_v1_RegisterRequest__Output, _kubeadm_ha_v1_RegisterResponse>;
  
  Session: grpc.handleBidiStreamingCall<_kubeadm_ha_v1_AgentMessage__Output, _kubeadm_ha_v1_CoordinatorMessage>;
  
}

export interface AgentServiceDefinition extends grpc.ServiceDefinition {
  Register: MethodDefinition<_kubeadm_ha_v1_RegisterRequest, _kubeadm_ha_v1_RegisterResponse, _kubeadm_ha_v1_RegisterRequest__Output, _kubeadm_ha_v1_RegisterResponse__Output>
  Session: MethodDefinition<_kubeadm_ha_v1_AgentMessage, _kubeadm_ha_v1_CoordinatorMessage, _kubeadm_ha_v1_AgentMessage__Output, _kubeadm_ha_v1_CoordinatorMessage__Output>
}
