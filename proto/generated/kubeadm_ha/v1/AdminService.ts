// Original file: proto/kubeadm_ha/v1/admin.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AddNodeRequest as _kubeadm_ha_v1_AddNodeRequest, AddNodeRequest__Output as _kubeadm_ha_v1_AddNodeRequest__Output } from '../../kubeadm_ha/v1/AddNodeRequest.js';
import type { CreateTokenRequest as _kubeadm_ha_v1_CreateTokenRequest, CreateTokenRequest__Output as _kubeadm_ha_v1_CreateTokenRequest__Output } from '../../kubeadm_ha/v1/CreateTokenRequest.js';
import type { CreateTokenResponse as _kubeadm_ha_v1_CreateTokenResponse, CreateTokenResponse__Output as _kubeadm_ha_v1_CreateTokenResponse__Output } from '../../kubeadm_ha/v1/CreateTokenResponse.js';
import type { DeployEvent as _kubeadm_ha_v1_DeployEvent, DeployEvent__Output as _kubeadm_ha_v1_DeployEvent__Output } from '../../kubeadm_ha/v1/DeployEvent.js';
import type { DeployRequest as _kubeadm_ha_v1_DeployRequest, DeployRequest__Output as _kubeadm_ha_v1_DeployRequest__Output } from '../../kubeadm_ha/v1/DeployRequest.js';
import type { JoinCommandRequest as _kubeadm_ha_v1_JoinCommandRequest, JoinCommandRequest__Output as _kubeadm_ha_v1_JoinCommandRequest__Output } from '../../kubeadm_ha/v1/JoinCommandRequest.js';
import type { JoinCommandResponse as _kubeadm_ha_v1_JoinCommandResponse, JoinCommandResponse__Output as _kubeadm_ha_v1_JoinCommandResponse__Output } from '../../kubeadm_ha/v1/JoinCommandResponse.js';
import type { NodesRequest as _kubeadm_ha_v1_NodesRequest, NodesRequest__Output as _kubeadm_ha_v1_NodesRequest__Output } from '../../kubeadm_ha/v1/NodesRequest.js';
import type { NodesResponse as _kubeadm_ha_v1_NodesResponse, NodesResponse__Output as _kubeadm_ha_v1_NodesResponse__Output } from '../../kubeadm_ha/v1/NodesResponse.js';
import type { RemoveNodeRequest as _kubeadm_ha_v1_RemoveNodeRequest, RemoveNodeRequest__Output as _kubeadm_ha_v1_RemoveNodeRequest__Output } from '../../kubeadm_ha/v1/RemoveNodeRequest.js';
import type { ResetRequest as _kubeadm_ha_v1_ResetRequest, ResetRequest__Output as _kubeadm_ha_v1_ResetRequest__Output } from '../../kubeadm_ha/v1/ResetRequest.js';
import type { StatusRequest as _kubeadm_ha_v1_StatusRequest, StatusRequest__Output as _kubeadm_ha_v1_StatusRequest__Output } from '../../kubeadm_ha/v1/StatusRequest.js';
import type { StatusResponse as _kubeadm_ha_v1_StatusResponse, StatusResponse__Output as _kubeadm_ha_v1_StatusResponse__Output } from '../../kubeadm_ha/v1/StatusResponse.js';
import type { VerifyReport as _kubeadm_ha_v1_VerifyReport, VerifyReport__Output as _kubeadm_ha_v1_VerifyReport__Output } from '../../kubeadm_ha/v1/VerifyReport.js';
import type { VerifyRequest as _kubeadm_ha_v1_VerifyRequest, VerifyRequest__Output as _kubeadm_ha_v1_VerifyRequest__Output } from '../../kubeadm_ha/v1/VerifyRequest.js';

export interface AdminServiceClient extends grpc.Client {
  AddNode(argument: _kubeadm_ha_v1_AddNodeRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_kubeadm_ha_v1_DeployEvent__Output>;
  AddNode(argument: _kubeadm_ha_v1_AddNodeRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_kubeadm_ha_v1_DeployEvent__Output>;
  addNode(argument: _kubeadm_ha_v1_AddNodeRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_kubeadm_ha_v1_DeployEvent__Output>;
  addNode(argument: _kubeadm_ha_v1_AddNodeRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_kubeadm_ha_v1_DeployEvent__Output>;
  
  CreateToken(argument: _kubeadm_ha_v1_CreateTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_CreateTokenResponse__Output>): grpc.ClientUnaryCall;
  CreateToken(argument: _kubeadm_ha_v1_CreateTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kubeadm_ha_v1_CreateTokenResponse__Output>): grpc.ClientUnaryCall;
  CreateToken(argument: _kubeadm_ha_v1_CreateTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_CreateTokenResponse__Output>): grpc.ClientUnaryCall;
  CreateToken(argument: _kubeadm_ha_v1_CreateTokenRequest, callback: grpc.requestCallback<_kubeadm_ha_v1_CreateTokenResponse__Output>): grpc.ClientUnaryCall;
  createToken(argument: _kubeadm_ha_v1_CreateTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_CreateTokenResponse__Output>): grpc.ClientUnaryCall;
  createToken(argument: _kubeadm_ha_v1_CreateTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kubeadm_ha_v1_CreateTokenResponse__Output>): grpc.ClientUnaryCall;
  createToken(argument: _kubeadm_ha_v1_CreateTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_CreateTokenResponse__Output>): grpc.ClientUnaryCall;
  createToken(argument: _kubeadm_ha_v1_CreateTokenRequest, callback: grpc.requestCallback<_kubeadm_ha_v1_CreateTokenResponse__Output>): grpc.ClientUnaryCall;
  
  Deploy(argument: _kubeadm_ha_v1_DeployRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_kubeadm_ha_v1_DeployEvent__Output>;
  Deploy(argument: _kubeadm_ha_v1_DeployRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_kubeadm_ha_v1_DeployEvent__Output>;
  deploy(argument: _kubeadm_ha_v1_DeployRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_kubeadm_ha_v1_DeployEvent__Output>;
  deploy(argument: _kubeadm_ha_v1_DeployRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_kubeadm_ha_v1_DeployEvent__Output>;
  
  JoinCommand(argument: _kubeadm_ha_v1_JoinCommandRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_JoinCommandResponse__Output>): grpc.ClientUnaryCall;
  JoinCommand(argument: _kubeadm_ha_v1_JoinCommandRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kubeadm_ha_v1_JoinCommandResponse__Output>): grpc.ClientUnaryCall;
  JoinCommand(argument: _kubeadm_ha_v1_JoinCommandRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_JoinCommandResponse__Output>): grpc.ClientUnaryCall;
  JoinCommand(argument: _kubeadm_ha_v1_JoinCommandRequest, callback: grpc.requestCallback<_kubeadm_ha_v1_JoinCommandResponse__Output>): grpc.ClientUnaryCall;
  joinCommand(argument: _kubeadm_ha_v1_JoinCommandRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_JoinCommandResponse__Output>): grpc.ClientUnaryCall;
  joinCommand(argument: _kubeadm_ha_v1_JoinCommandRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kubeadm_ha_v1_JoinCommandResponse__Output>): grpc.ClientUnaryCall;
  joinCommand(argument: _kubeadm_ha_v1_JoinCommandRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_JoinCommandResponse__Output>): grpc.ClientUnaryCall;
  joinCommand(argument: _kubeadm_ha_v1_JoinCommandRequest, callback: grpc.requestCallback<_kubeadm_ha_v1_JoinCommandResponse__Output>): grpc.ClientUnaryCall;
  
  Nodes(argument: _kubeadm_ha_v1_NodesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_NodesResponse__Output>): grpc.ClientUnaryCall;
  Nodes(argument: _kubeadm_ha_v1_NodesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kubeadm_ha_v1_NodesResponse__Output>): grpc.ClientUnaryCall;
  Nodes(argument: _kubeadm_ha_v1_NodesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_NodesResponse__Output>): grpc.ClientUnaryCall;
  Nodes(argument: _kubeadm_ha_v1_NodesRequest, callback: grpc.requestCallback<_kubeadm_ha_v1_NodesResponse__Output>): grpc.ClientUnaryCall;
  nodes(argument: _kubeadm_ha_v1_NodesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_NodesResponse__Output>): grpc.ClientUnaryCall;
  nodes(argument: _kubeadm_ha_v1_NodesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kubeadm_ha_v1_NodesResponse__Output>): grpc.ClientUnaryCall;
  nodes(argument: _kubeadm_ha_v1_NodesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_NodesResponse__Output>): grpc.ClientUnaryCall;
  nodes(argument: _kubeadm_ha_v1_NodesRequest, callback: grpc.requestCallback<_kubeadm_ha_v1_NodesResponse__Output>): grpc.ClientUnaryCall;
  
  RemoveNode(argument: _kubeadm_ha_v1_RemoveNodeRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_kubeadm_ha_v1_DeployEvent__Output>;
  RemoveNode(argument: _kubeadm_ha_v1_RemoveNodeRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_kubeadm_ha_v1_DeployEvent__Output>;
  removeNode(argument: _kubeadm_ha_v1_RemoveNodeRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_kubeadm_ha_v1_DeployEvent__Output>;
  removeNode(argument: _kubeadm_ha_v1_RemoveNodeRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_kubeadm_ha_v1_DeployEvent__Output>;
  
  Reset(argument: _kubeadm_ha_v1_ResetRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_kubeadm_ha_v1_DeployEvent__Output>;
  Reset(argument: _kubeadm_ha_v1_ResetRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_kubeadm_ha_v1_DeployEvent__Output>;
  reset(argument: _kubeadm_ha_v1_ResetRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_kubeadm_ha_v1_DeployEvent__Output>;
  reset(argument: _kubeadm_ha_v1_ResetRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_kubeadm_ha_v1_DeployEvent__Output>;
  
  Status(argument: _kubeadm_ha_v1_StatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  Status(argument: _kubeadm_ha_v1_StatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kubeadm_ha_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  Status(argument: _kubeadm_ha_v1_StatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  Status(argument: _kubeadm_ha_v1_StatusRequest, callback: grpc.requestCallback<_kubeadm_ha_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  status(argument: _kubeadm_ha_v1_StatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  status(argument: _kubeadm_ha_v1_StatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kubeadm_ha_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  status(argument: _kubeadm_ha_v1_StatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  status(argument: _kubeadm_ha_v1_StatusRequest, callback: grpc.requestCallback<_kubeadm_ha_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  
  Verify(argument: _kubeadm_ha_v1_VerifyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_VerifyReport__Output>): grpc.ClientUnaryCall;
  Verify(argument: _kubeadm_ha_v1_VerifyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kubeadm_ha_v1_VerifyReport__Output>): grpc.ClientUnaryCall;
  Verify(argument: _kubeadm_ha_v1_VerifyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_VerifyReport__Output>): grpc.ClientUnaryCall;
  Verify(argument: _kubeadm_ha_v1_VerifyRequest, callback: grpc.requestCallback<_kubeadm_ha_v1_VerifyReport__Output>): grpc.ClientUnaryCall;
  verify(argument: _kubeadm_ha_v1_VerifyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_VerifyReport__Output>): grpc.ClientUnaryCall;
  verify(argument: _kubeadm_ha_v1_VerifyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kubeadm_ha_v1_VerifyReport__Output>): grpc.ClientUnaryCall;
  verify(argument: _kubeadm_ha_v1_VerifyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_VerifyReport__Output>): grpc.ClientUnaryCall;
  verify(argument: _kubeadm_ha_v1_VerifyRequest, callback: grpc.requestCallback<_kubeadm_ha_v1_VerifyReport__Output>): grpc.ClientUnaryCall;
  
}

export interface AdminServiceHandlers extends grpc.UntypedServiceImplementation {
  AddNode: grpc.handleServerStreamingCall<_kubeadm_ha_v1_AddNodeRequest__Output, _kubeadm_ha_v1_DeployEvent>;
  
  CreateToken: grpc.handleUnaryCall<_kubeadm_ha_v1_CreateTokenRequest__Output, _kubeadm_ha_v1_CreateTokenResponse>;
  
  Deploy: grpc.handleServerStreamingCall<_kubeadm_ha_v1_DeployRequest__Output, _kubeadm_ha_v1_DeployEvent>;
  
  JoinCommand: grpc.handleUnaryCall<_kubeadm_ha_v1_JoinCommandRequest__Output, _kubeadm_ha_v1_JoinCommandResponse>;
  
  Nodes: grpc.handleUnaryCall<_kubeadm_ha_v1_NodesRequest__Output, _kubeadm_ha_v1_NodesResponse>;
  
  RemoveNode: grpc.handleServerStreamingCall<_kubeadm_ha_v1_RemoveNodeRequest__Output, _kubeadm_ha_v1_DeployEvent>;
  
  Reset: grpc.handleServerStreamingCall<_kubeadm_ha_v1_ResetRequest__Output, _kubeadm_ha_v1_DeployEvent>;
  
  Status: grpc.handleUnaryCall<_kubeadm_ha_v1_StatusRequest__Output, _kubeadm_ha_v1_StatusResponse>;
  
  Verify: grpc.handleUnaryCall<_kubeadm_ha_v1_VerifyRequest__Output, _kubeadm_ha_v1_VerifyReport>;
  
}

export interface AdminServiceDefinition extends grpc.ServiceDefinition {
  AddNode: MethodDefinition<_kubeadm_ha_v1_AddNodeRequest, _kubeadm_ha_v1_DeployEvent, _kubeadm_ha_v1_AddNodeRequest__Output, _kubeadm_ha_v1_DeployEvent__Output>
  CreateToken: MethodDefinition<_kubeadm_ha_v1_CreateTokenRequest, _kubeadm_ha_v1_CreateTokenResponse, _kubeadm_ha_v1_CreateTokenRequest__Output, _kubeadm_ha_v1_CreateTokenResponse__Output>
  Deploy: MethodDefinition<_kubeadm_ha_v1_DeployRequest, _kubeadm_ha_v1_DeployEvent, _kubeadm_ha_v1_DeployRequest__Output, _kubeadm_ha_v1_DeployEvent__Output>
  JoinCommand: MethodDefinition<_kubeadm_ha_v1_JoinCommandRequest, _kubeadm_ha_v1_JoinCommandResponse, _kubeadm_ha_v1_JoinCommandRequest__Output, _kubeadm_ha_v1_JoinCommandResponse__Output>
  Nodes: MethodDefinition<_kubeadm_ha_v1_NodesRequest, _kubeadm_ha_v1_NodesResponse, _kubeadm_ha_v1_NodesRequest__Output, _kubeadm_ha_v1_NodesResponse__Output>
  RemoveNode: MethodDefinition<_kubeadm_ha_v1_RemoveNodeRequest, _kubeadm_ha_v1_DeployEvent, _kubeadm_ha_v1_RemoveNodeRequest__Output, _kubeadm_ha_v1_DeployEvent__Output>
  Reset: MethodDefinition<_kubeadm_ha_v1_ResetRequest, _kubeadm_ha_v1_DeployEvent, _kubeadm_ha_v1_ResetRequest__Output, _kubeadm_ha_v1_DeployEvent__Output>
  Status: MethodDefinition<_kubeadm_ha_v1_StatusRequest, _kubeadm_ha_v1_StatusResponse, _kubeadm_ha_v1_StatusRequest__Output, _kubeadm_ha_v1_StatusResponse__Output>
  Verify: MethodDefinition<_kubeadm_ha_v1_VerifyRequest, _kubeadm_ha_v1_VerifyReport, _kubeadm_ha_v1_VerifyRequest__Output, _kubeadm_ha_v1_VerifyReport__Output>
}
