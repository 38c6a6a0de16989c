// Original file: proto/kubeadm_ha/v1/admin.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AddNodeRequest as _kubeadm_ha_v1_AddNodeRequest, AddNodeRequest__Output as _kubeadm_ha_v1_AddNodeRequest__Output } from '../../kubeadm_ha/v1/AddNodeRequest.js';
import type { ApproveNodeRequest as _kubeadm_ha_v1_ApproveNodeRequest, ApproveNodeRequest__Output as _kubeadm_ha_v1_ApproveNodeRequest__Output } from '../../kubeadm_ha/v1/ApproveNodeRequest.js';
import type { CertsCheckRequest as _kubeadm_ha_v1_CertsCheckRequest, CertsCheckRequest__Output as _kubeadm_ha_v1_CertsCheckRequest__Output } from '../../kubeadm_ha/v1/CertsCheckRequest.js';
import type { CertsCheckResponse as _kubeadm_ha_v1_CertsCheckResponse, CertsCheckResponse__Output as _kubeadm_ha_v1_CertsCheckResponse__Output } from '../../kubeadm_ha/v1/CertsCheckResponse.js';
import type { CertsRenewRequest as _kubeadm_ha_v1_CertsRenewRequest, CertsRenewRequest__Output as _kubeadm_ha_v1_CertsRenewRequest__Output } from '../../kubeadm_ha/v1/CertsRenewRequest.js';
import type { CreateTokenRequest as _kubeadm_ha_v1_CreateTokenRequest, CreateTokenRequest__Output as _kubeadm_ha_v1_CreateTokenRequest__Output } from '../../kubeadm_ha/v1/CreateTokenRequest.js';
import type { CreateTokenResponse as _kubeadm_ha_v1_CreateTokenResponse, CreateTokenResponse__Output as _kubeadm_ha_v1_CreateTokenResponse__Output } from '../../kubeadm_ha/v1/CreateTokenResponse.js';
import type { DeleteTokenRequest as _kubeadm_ha_v1_DeleteTokenRequest, DeleteTokenRequest__Output as _kubeadm_ha_v1_DeleteTokenRequest__Output } from '../../kubeadm_ha/v1/DeleteTokenRequest.js';
import type { DeleteTokenResponse as _kubeadm_ha_v1_DeleteTokenResponse, DeleteTokenResponse__Output as _kubeadm_ha_v1_DeleteTokenResponse__Output } from '../../kubeadm_ha/v1/DeleteTokenResponse.js';
import type { DeployEvent as _kubeadm_ha_v1_DeployEvent, DeployEvent__Output as _kubeadm_ha_v1_DeployEvent__Output } from '../../kubeadm_ha/v1/DeployEvent.js';
import type { DeployRequest as _kubeadm_ha_v1_DeployRequest, DeployRequest__Output as _kubeadm_ha_v1_DeployRequest__Output } from '../../kubeadm_ha/v1/DeployRequest.js';
import type { EtcdRestoreRequest as _kubeadm_ha_v1_EtcdRestoreRequest, EtcdRestoreRequest__Output as _kubeadm_ha_v1_EtcdRestoreRequest__Output } from '../../kubeadm_ha/v1/EtcdRestoreRequest.js';
import type { EtcdSnapshotRequest as _kubeadm_ha_v1_EtcdSnapshotRequest, EtcdSnapshotRequest__Output as _kubeadm_ha_v1_EtcdSnapshotRequest__Output } from '../../kubeadm_ha/v1/EtcdSnapshotRequest.js';
import type { EtcdSnapshotResponse as _kubeadm_ha_v1_EtcdSnapshotResponse, EtcdSnapshotResponse__Output as _kubeadm_ha_v1_EtcdSnapshotResponse__Output } from '../../kubeadm_ha/v1/EtcdSnapshotResponse.js';
import type { EtcdStatusRequest as _kubeadm_ha_v1_EtcdStatusRequest, EtcdStatusRequest__Output as _kubeadm_ha_v1_EtcdStatusRequest__Output } from '../../kubeadm_ha/v1/EtcdStatusRequest.js';
import type { EtcdStatusResponse as _kubeadm_ha_v1_EtcdStatusResponse, EtcdStatusResponse__Output as _kubeadm_ha_v1_EtcdStatusResponse__Output } from '../../kubeadm_ha/v1/EtcdStatusResponse.js';
import type { ForgetNodeRequest as _kubeadm_ha_v1_ForgetNodeRequest, ForgetNodeRequest__Output as _kubeadm_ha_v1_ForgetNodeRequest__Output } from '../../kubeadm_ha/v1/ForgetNodeRequest.js';
import type { ForgetNodeResponse as _kubeadm_ha_v1_ForgetNodeResponse, ForgetNodeResponse__Output as _kubeadm_ha_v1_ForgetNodeResponse__Output } from '../../kubeadm_ha/v1/ForgetNodeResponse.js';
import type { JoinCommandRequest as _kubeadm_ha_v1_JoinCommandRequest, JoinCommandRequest__Output as _kubeadm_ha_v1_JoinCommandRequest__Output } from '../../kubeadm_ha/v1/JoinCommandRequest.js';
import type { JoinCommandResponse as _kubeadm_ha_v1_JoinCommandResponse, JoinCommandResponse__Output as _kubeadm_ha_v1_JoinCommandResponse__Output } from '../../kubeadm_ha/v1/JoinCommandResponse.js';
import type { LeaderRequest as _kubeadm_ha_v1_LeaderRequest, LeaderRequest__Output as _kubeadm_ha_v1_LeaderRequest__Output } from '../../kubeadm_ha/v1/LeaderRequest.js';
import type { LeaderResponse as _kubeadm_ha_v1_LeaderResponse, LeaderResponse__Output as _kubeadm_ha_v1_LeaderResponse__Output } from '../../kubeadm_ha/v1/LeaderResponse.js';
import type { ListTokensRequest as _kubeadm_ha_v1_ListTokensRequest, ListTokensRequest__Output as _kubeadm_ha_v1_ListTokensRequest__Output } from '../../kubeadm_ha/v1/ListTokensRequest.js';
import type { ListTokensResponse as _kubeadm_ha_v1_ListTokensResponse, ListTokensResponse__Output as _kubeadm_ha_v1_ListTokensResponse__Output } from '../../kubeadm_ha/v1/ListTokensResponse.js';
import type { NodesRequest as _kubeadm_ha_v1_NodesRequest, NodesRequest__Output as _kubeadm_ha_v1_NodesRequest__Output } from '../../kubeadm_ha/v1/NodesRequest.js';
import type { NodesResponse as _kubeadm_ha_v1_NodesResponse, NodesResponse__Output as _kubeadm_ha_v1_NodesResponse__Output } from '../../kubeadm_ha/v1/NodesResponse.js';
import type { RemoveNodeRequest as _kubeadm_ha_v1_RemoveNodeRequest, RemoveNodeRequest__Output as _kubeadm_ha_v1_RemoveNodeRequest__Output } from '../../kubeadm_ha/v1/RemoveNodeRequest.js';
import type { ResetRequest as _kubeadm_ha_v1_ResetRequest, ResetRequest__Output as _kubeadm_ha_v1_ResetRequest__Output } from '../../kubeadm_ha/v1/ResetRequest.js';
import type { StatusRequest as _kubeadm_ha_v1_StatusRequest, StatusRequest__Output as _kubeadm_ha_v1_StatusRequest__Output } from '../../kubeadm_ha/v1/StatusRequest.js';
import type { StatusResponse as _kubeadm_ha_v1_StatusResponse, StatusResponse__Output as _kubeadm_ha_v1_StatusResponse__Output } from '../../kubeadm_ha/v1/StatusResponse.js';
import type { UpgradeRequest as _kubeadm_ha_v1_UpgradeRequest, UpgradeRequest__Output as _kubeadm_ha_v1_UpgradeRequest__Output } from '../../kubeadm_ha/v1/UpgradeRequest.js';
import type { UploadTrustRequest as _kubeadm_ha_v1_UploadTrustRequest, UploadTrustRequest__Output as _kubeadm_ha_v1_UploadTrustRequest__Output } from '../../kubeadm_ha/v1/UploadTrustRequest.js';
import type { UploadTrustResponse as _kubeadm_ha_v1_UploadTrustResponse, UploadTrustResponse__Output as _kubeadm_ha_v1_UploadTrustResponse__Output } from '../../kubeadm_ha/v1/UploadTrustResponse.js';
import type { VerifyReport as _kubeadm_ha_v1_VerifyReport, VerifyReport__Output as _kubeadm_ha_v1_VerifyReport__Output } from '../../kubeadm_ha/v1/VerifyReport.js';
import type { VerifyRequest as _kubeadm_ha_v1_VerifyRequest, VerifyRequest__Output as _kubeadm_ha_v1_VerifyRequest__Output } from '../../kubeadm_ha/v1/VerifyRequest.js';

export interface AdminServiceClient extends grpc.Client {
  AddNode(argument: _kubeadm_ha_v1_AddNodeRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_kubeadm_ha_v1_DeployEvent__Output>;
  AddNode(argument: _kubeadm_ha_v1_AddNodeRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_kubeadm_ha_v1_DeployEvent__Output>;
  addNode(argument: _kubeadm_ha_v1_AddNodeRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_kubeadm_ha_v1_DeployEvent__Output>;
  addNode(argument: _kubeadm_ha_v1_AddNodeRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_kubeadm_ha_v1_DeployEvent__Output>;
  
  ApproveNode(argument: _kubeadm_ha_v1_ApproveNodeRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_kubeadm_ha_v1_DeployEvent__Output>;
  ApproveNode(argument: _kubeadm_ha_v1_ApproveNodeRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_kubeadm_ha_v1_DeployEvent__Output>;
  approveNode(argument: _kubeadm_ha_v1_ApproveNodeRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_kubeadm_ha_v1_DeployEvent__Output>;
  approveNode(argument: _kubeadm_ha_v1_ApproveNodeRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_kubeadm_ha_v1_DeployEvent__Output>;
  
  CertsCheck(argument: _kubeadm_ha_v1_CertsCheckRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_CertsCheckResponse__Output>): grpc.ClientUnaryCall;
  CertsCheck(argument: _kubeadm_ha_v1_CertsCheckRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kubeadm_ha_v1_CertsCheckResponse__Output>): grpc.ClientUnaryCall;
  CertsCheck(argument: _kubeadm_ha_v1_CertsCheckRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_CertsCheckResponse__Output>): grpc.ClientUnaryCall;
  CertsCheck(argument: _kubeadm_ha_v1_CertsCheckRequest, callback: grpc.requestCallback<_kubeadm_ha_v1_CertsCheckResponse__Output>): grpc.ClientUnaryCall;
  certsCheck(argument: _kubeadm_ha_v1_CertsCheckRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_CertsCheckResponse__Output>): grpc.ClientUnaryCall;
  certsCheck(argument: _kubeadm_ha_v1_CertsCheckRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kubeadm_ha_v1_CertsCheckResponse__Output>): grpc.ClientUnaryCall;
  certsCheck(argument: _kubeadm_ha_v1_CertsCheckRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_CertsCheckResponse__Output>): grpc.ClientUnaryCall;
  certsCheck(argument: _kubeadm_ha_v1_CertsCheckRequest, callback: grpc.requestCallback<_kubeadm_ha_v1_CertsCheckResponse__Output>): grpc.ClientUnaryCall;
  
  CertsRenew(argument: _kubeadm_ha_v1_CertsRenewRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_kubeadm_ha_v1_DeployEvent__Output>;
  CertsRenew(argument: _kubeadm_ha_v1_CertsRenewRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_kubeadm_ha_v1_DeployEvent__Output>;
  certsRenew(argument: _kubeadm_ha_v1_CertsRenewRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_kubeadm_ha_v1_DeployEvent__Output>;
  certsRenew(argument: _kubeadm_ha_v1_CertsRenewRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_kubeadm_ha_v1_DeployEvent__Output>;
  
  CreateToken(argument: _kubeadm_ha_v1_CreateTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_CreateTokenResponse__Output>): grpc.ClientUnaryCall;
  CreateToken(argument: _kubeadm_ha_v1_CreateTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kubeadm_ha_v1_CreateTokenResponse__Output>): grpc.ClientUnaryCall;
  CreateToken(argument: _kubeadm_ha_v1_CreateTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_CreateTokenResponse__Output>): grpc.ClientUnaryCall;
  CreateToken(argument: _kubeadm_ha_v1_CreateTokenRequest, callback: grpc.requestCallback<_kubeadm_ha_v1_CreateTokenResponse__Output>): grpc.ClientUnaryCall;
  createToken(argument: _kubeadm_ha_v1_CreateTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_CreateTokenResponse__Output>): grpc.ClientUnaryCall;
  createToken(argument: _kubeadm_ha_v1_CreateTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kubeadm_ha_v1_CreateTokenResponse__Output>): grpc.ClientUnaryCall;
  createToken(argument: _kubeadm_ha_v1_CreateTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_CreateTokenResponse__Output>): grpc.ClientUnaryCall;
  createToken(argument: _kubeadm_ha_v1_CreateTokenRequest, callback: grpc.requestCallback<_kubeadm_ha_v1_CreateTokenResponse__Output>): grpc.ClientUnaryCall;
  
  DeleteToken(argument: _kubeadm_ha_v1_DeleteTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_DeleteTokenResponse__Output>): grpc.ClientUnaryCall;
  DeleteToken(argument: _kubeadm_ha_v1_DeleteTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kubeadm_ha_v1_DeleteTokenResponse__Output>): grpc.ClientUnaryCall;
  DeleteToken(argument: _kubeadm_ha_v1_DeleteTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_DeleteTokenResponse__Output>): grpc.ClientUnaryCall;
  DeleteToken(argument: _kubeadm_ha_v1_DeleteTokenRequest, callback: grpc.requestCallback<_kubeadm_ha_v1_DeleteTokenResponse__Output>): grpc.ClientUnaryCall;
  deleteToken(argument: _kubeadm_ha_v1_DeleteTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_DeleteTokenResponse__Output>): grpc.ClientUnaryCall;
  deleteToken(argument: _kubeadm_ha_v1_DeleteTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kubeadm_ha_v1_DeleteTokenResponse__Output>): grpc.ClientUnaryCall;
  deleteToken(argument: _kubeadm_ha_v1_DeleteTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_DeleteTokenResponse__Output>): grpc.ClientUnaryCall;
  deleteToken(argument: _kubeadm_ha_v1_DeleteTokenRequest, callback: grpc.requestCallback<_kubeadm_ha_v1_DeleteTokenResponse__Output>): grpc.ClientUnaryCall;
  
  Deploy(argument: _kubeadm_ha_v1_DeployRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_kubeadm_ha_v1_DeployEvent__Output>;
  Deploy(argument: _kubeadm_ha_v1_DeployRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_kubeadm_ha_v1_DeployEvent__Output>;
  deploy(argument: _kubeadm_ha_v1_DeployRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_kubeadm_ha_v1_DeployEvent__Output>;
  deploy(argument: _kubeadm_ha_v1_DeployRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_kubeadm_ha_v1_DeployEvent__Output>;
  
  EtcdRestore(argument: _kubeadm_ha_v1_EtcdRestoreRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_kubeadm_ha_v1_DeployEvent__Output>;
  EtcdRestore(argument: _kubeadm_ha_v1_EtcdRestoreRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_kubeadm_ha_v1_DeployEvent__Output>;
  etcdRestore(argument: _kubeadm_ha_v1_EtcdRestoreRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_kubeadm_ha_v1_DeployEvent__Output>;
  etcdRestore(argument: _kubeadm_ha_v1_EtcdRestoreRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_kubeadm_ha_v1_DeployEvent__Output>;
  
  EtcdSnapshot(argument: _kubeadm_ha_v1_EtcdSnapshotRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_EtcdSnapshotResponse__Output>): grpc.ClientUnaryCall;
  EtcdSnapshot(argument: _kubeadm_ha_v1_EtcdSnapshotRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kubeadm_ha_v1_EtcdSnapshotResponse__Output>): grpc.ClientUnaryCall;
  EtcdSnapshot(argument: _kubeadm_ha_v1_EtcdSnapshotRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_EtcdSnapshotResponse__Output>): grpc.ClientUnaryCall;
  EtcdSnapshot(argument: _kubeadm_ha_v1_EtcdSnapshotRequest, callback: grpc.requestCallback<_kubeadm_ha_v1_EtcdSnapshotResponse__Output>): grpc.ClientUnaryCall;
  etcdSnapshot(argument: _kubeadm_ha_v1_EtcdSnapshotRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_EtcdSnapshotResponse__Output>): grpc.ClientUnaryCall;
  etcdSnapshot(argument: _kubeadm_ha_v1_EtcdSnapshotRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kubeadm_ha_v1_EtcdSnapshotResponse__Output>): grpc.ClientUnaryCall;
  etcdSnapshot(argument: _kubeadm_ha_v1_EtcdSnapshotRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_EtcdSnapshotResponse__Output>): grpc.ClientUnaryCall;
  etcdSnapshot(argument: _kubeadm_ha_v1_EtcdSnapshotRequest, callback: grpc.requestCallback<_kubeadm_ha_v1_EtcdSnapshotResponse__Output>): grpc.ClientUnaryCall;
  
  EtcdStatus(argument: _kubeadm_ha_v1_EtcdStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_EtcdStatusResponse__Output>): grpc.ClientUnaryCall;
  EtcdStatus(argument: _kubeadm_ha_v1_EtcdStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kubeadm_ha_v1_EtcdStatusResponse__Output>): grpc.ClientUnaryCall;
  EtcdStatus(argument: _kubeadm_ha_v1_EtcdStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_EtcdStatusResponse__Output>): grpc.ClientUnaryCall;
  EtcdStatus(argument: _kubeadm_ha_v1_EtcdStatusRequest, callback: grpc.requestCallback<_kubeadm_ha_v1_EtcdStatusResponse__Output>): grpc.ClientUnaryCall;
  etcdStatus(argument: _kubeadm_ha_v1_EtcdStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_EtcdStatusResponse__Output>): grpc.ClientUnaryCall;
  etcdStatus(argument: _kubeadm_ha_v1_EtcdStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kubeadm_ha_v1_EtcdStatusResponse__Output>): grpc.ClientUnaryCall;
  etcdStatus(argument: _kubeadm_ha_v1_EtcdStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_EtcdStatusResponse__Output>): grpc.ClientUnaryCall;
  etcdStatus(argument: _kubeadm_ha_v1_EtcdStatusRequest, callback: grpc.requestCallback<_kubeadm_ha_v1_EtcdStatusResponse__Output>): grpc.ClientUnaryCall;
  
  ForgetNode(argument: _kubeadm_ha_v1_ForgetNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_ForgetNodeResponse__Output>): grpc.ClientUnaryCall;
  ForgetNode(argument: _kubeadm_ha_v1_ForgetNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kubeadm_ha_v1_ForgetNodeResponse__Output>): grpc.ClientUnaryCall;
  ForgetNode(argument: _kubeadm_ha_v1_ForgetNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_ForgetNodeResponse__Output>): grpc.ClientUnaryCall;
  ForgetNode(argument: _kubeadm_ha_v1_ForgetNodeRequest, callback: grpc.requestCallback<_kubeadm_ha_v1_ForgetNodeResponse__Output>): grpc.ClientUnaryCall;
  forgetNode(argument: _kubeadm_ha_v1_ForgetNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_ForgetNodeResponse__Output>): grpc.ClientUnaryCall;
  forgetNode(argument: _kubeadm_ha_v1_ForgetNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kubeadm_ha_v1_ForgetNodeResponse__Output>): grpc.ClientUnaryCall;
  forgetNode(argument: _kubeadm_ha_v1_ForgetNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_ForgetNodeResponse__Output>): grpc.ClientUnaryCall;
  forgetNode(argument: _kubeadm_ha_v1_ForgetNodeRequest, callback: grpc.requestCallback<_kubeadm_ha_v1_ForgetNodeResponse__Output>): grpc.ClientUnaryCall;
  
  JoinCommand(argument: _kubeadm_ha_v1_JoinCommandRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_JoinCommandResponse__Output>): grpc.ClientUnaryCall;
  JoinCommand(argument: _kubeadm_ha_v1_JoinCommandRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kubeadm_ha_v1_JoinCommandResponse__Output>): grpc.ClientUnaryCall;
  JoinCommand(argument: _kubeadm_ha_v1_JoinCommandRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_JoinCommandResponse__Output>): grpc.ClientUnaryCall;
  JoinCommand(argument: _kubeadm_ha_v1_JoinCommandRequest, callback: grpc.requestCallback<_kubeadm_ha_v1_JoinCommandResponse__Output>): grpc.ClientUnaryCall;
  joinCommand(argument: _kubeadm_ha_v1_JoinCommandRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_JoinCommandResponse__Output>): grpc.ClientUnaryCall;
  joinCommand(argument: _kubeadm_ha_v1_JoinCommandRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kubeadm_ha_v1_JoinCommandResponse__Output>): grpc.ClientUnaryCall;
  joinCommand(argument: _kubeadm_ha_v1_JoinCommandRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_JoinCommandResponse__Output>): grpc.ClientUnaryCall;
  joinCommand(argument: _kubeadm_ha_v1_JoinCommandRequest, callback: grpc.requestCallback<_kubeadm_ha_v1_JoinCommandResponse__Output>): grpc.ClientUnaryCall;
  
  Leader(argument: _kubeadm_ha_v1_LeaderRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_LeaderResponse__Output>): grpc.ClientUnaryCall;
  Leader(argument: _kubeadm_ha_v1_LeaderRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kubeadm_ha_v1_LeaderResponse__Output>): grpc.ClientUnaryCall;
  Leader(argument: _kubeadm_ha_v1_LeaderRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_LeaderResponse__Output>): grpc.ClientUnaryCall;
  Leader(argument: _kubeadm_ha_v1_LeaderRequest, callback: grpc.requestCallback<_kubeadm_ha_v1_LeaderResponse__Output>): grpc.ClientUnaryCall;
  leader(argument: _kubeadm_ha_v1_LeaderRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_LeaderResponse__Output>): grpc.ClientUnaryCall;
  leader(argument: _kubeadm_ha_v1_LeaderRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kubeadm_ha_v1_LeaderResponse__Output>): grpc.ClientUnaryCall;
  leader(argument: _kubeadm_ha_v1_LeaderRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_LeaderResponse__Output>): grpc.ClientUnaryCall;
  leader(argument: _kubeadm_ha_v1_LeaderRequest, callback: grpc.requestCallback<_kubeadm_ha_v1_LeaderResponse__Output>): grpc.ClientUnaryCall;
  
  ListTokens(argument: _kubeadm_ha_v1_ListTokensRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_ListTokensResponse__Output>): grpc.ClientUnaryCall;
  ListTokens(argument: _kubeadm_ha_v1_ListTokensRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kubeadm_ha_v1_ListTokensResponse__Output>): grpc.ClientUnaryCall;
  ListTokens(argument: _kubeadm_ha_v1_ListTokensRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_ListTokensResponse__Output>): grpc.ClientUnaryCall;
  ListTokens(argument: _kubeadm_ha_v1_ListTokensRequest, callback: grpc.requestCallback<_kubeadm_ha_v1_ListTokensResponse__Output>): grpc.ClientUnaryCall;
  listTokens(argument: _kubeadm_ha_v1_ListTokensRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_ListTokensResponse__Output>): grpc.ClientUnaryCall;
  listTokens(argument: _kubeadm_ha_v1_ListTokensRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kubeadm_ha_v1_ListTokensResponse__Output>): grpc.ClientUnaryCall;
  listTokens(argument: _kubeadm_ha_v1_ListTokensRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_ListTokensResponse__Output>): grpc.ClientUnaryCall;
  listTokens(argument: _kubeadm_ha_v1_ListTokensRequest, callback: grpc.requestCallback<_kubeadm_ha_v1_ListTokensResponse__Output>): grpc.ClientUnaryCall;
  
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
  
  Upgrade(argument: _kubeadm_ha_v1_UpgradeRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_kubeadm_ha_v1_DeployEvent__Output>;
  Upgrade(argument: _kubeadm_ha_v1_UpgradeRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_kubeadm_ha_v1_DeployEvent__Output>;
  upgrade(argument: _kubeadm_ha_v1_UpgradeRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_kubeadm_ha_v1_DeployEvent__Output>;
  upgrade(argument: _kubeadm_ha_v1_UpgradeRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_kubeadm_ha_v1_DeployEvent__Output>;
  
  UploadTrust(argument: _kubeadm_ha_v1_UploadTrustRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_UploadTrustResponse__Output>): grpc.ClientUnaryCall;
  UploadTrust(argument: _kubeadm_ha_v1_UploadTrustRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kubeadm_ha_v1_UploadTrustResponse__Output>): grpc.ClientUnaryCall;
  UploadTrust(argument: _kubeadm_ha_v1_UploadTrustRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_UploadTrustResponse__Output>): grpc.ClientUnaryCall;
  UploadTrust(argument: _kubeadm_ha_v1_UploadTrustRequest, callback: grpc.requestCallback<_kubeadm_ha_v1_UploadTrustResponse__Output>): grpc.ClientUnaryCall;
  uploadTrust(argument: _kubeadm_ha_v1_UploadTrustRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_UploadTrustResponse__Output>): grpc.ClientUnaryCall;
  uploadTrust(argument: _kubeadm_ha_v1_UploadTrustRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_kubeadm_ha_v1_UploadTrustResponse__Output>): grpc.ClientUnaryCall;
  uploadTrust(argument: _kubeadm_ha_v1_UploadTrustRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_kubeadm_ha_v1_UploadTrustResponse__Output>): grpc.ClientUnaryCall;
  uploadTrust(argument: _kubeadm_ha_v1_UploadTrustRequest, callback: grpc.requestCallback<_kubeadm_ha_v1_UploadTrustResponse__Output>): grpc.ClientUnaryCall;
  
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
  
  ApproveNode: grpc.handleServerStreamingCall<_kubeadm_ha_v1_ApproveNodeRequest__Output, _kubeadm_ha_v1_DeployEvent>;
  
  CertsCheck: grpc.handleUnaryCall<_kubeadm_ha_v1_CertsCheckRequest__Output, _kubeadm_ha_v1_CertsCheckResponse>;
  
  CertsRenew: grpc.handleServerStreamingCall<_kubeadm_ha_v1_CertsRenewRequest__Output, _kubeadm_ha_v1_DeployEvent>;
  
  CreateToken: grpc.handleUnaryCall<_kubeadm_ha_v1_CreateTokenRequest__Output, _kubeadm_ha_v1_CreateTokenResponse>;
  
  DeleteToken: grpc.handleUnaryCall<_kubeadm_ha_v1_DeleteTokenRequest__Output, _kubeadm_ha_v1_DeleteTokenResponse>;
  
  Deploy: grpc.handleServerStreamingCall<_kubeadm_ha_v1_DeployRequest__Output, _kubeadm_ha_v1_DeployEvent>;
  
  EtcdRestore: grpc.handleServerStreamingCall<_kubeadm_ha_v1_EtcdRestoreRequest__Output, _kubeadm_ha_v1_DeployEvent>;
  
  EtcdSnapshot: grpc.handleUnaryCall<_kubeadm_ha_v1_EtcdSnapshotRequest__Output, _kubeadm_ha_v1_EtcdSnapshotResponse>;
  
  EtcdStatus: grpc.handleUnaryCall<_kubeadm_ha_v1_EtcdStatusRequest__Output, _kubeadm_ha_v1_EtcdStatusResponse>;
  
  ForgetNode: grpc.handleUnaryCall<_kubeadm_ha_v1_ForgetNodeRequest__Output, _kubeadm_ha_v1_ForgetNodeResponse>;
  
  JoinCommand: grpc.handleUnaryCall<_kubeadm_ha_v1_JoinCommandRequest__Output, _kubeadm_ha_v1_JoinCommandResponse>;
  
  Leader: grpc.handleUnaryCall<_kubeadm_ha_v1_LeaderRequest__Output, _kubeadm_ha_v1_LeaderResponse>;
  
  ListTokens: grpc.handleUnaryCall<_kubeadm_ha_v1_ListTokensRequest__Output, _kubeadm_ha_v1_ListTokensResponse>;
  
  Nodes: grpc.handleUnaryCall<_kubeadm_ha_v1_NodesRequest__Output, _kubeadm_ha_v1_NodesResponse>;
  
  RemoveNode: grpc.handleServerStreamingCall<_kubeadm_ha_v1_RemoveNodeRequest__Output, _kubeadm_ha_v1_DeployEvent>;
  
  Reset: grpc.handleServerStreamingCall<_kubeadm_ha_v1_ResetRequest__Output, _kubeadm_ha_v1_DeployEvent>;
  
  Status: grpc.handleUnaryCall<_kubeadm_ha_v1_StatusRequest__Output, _kubeadm_ha_v1_StatusResponse>;
  
  Upgrade: grpc.handleServerStreamingCall<_kubeadm_ha_v1_UpgradeRequest__Output, _kubeadm_ha_v1_DeployEvent>;
  
  UploadTrust: grpc.handleUnaryCall<_kubeadm_ha_v1_UploadTrustRequest__Output, _kubeadm_ha_v1_UploadTrustResponse>;
  
  Verify: grpc.handleUnaryCall<_kubeadm_ha_v1_VerifyRequest__Output, _kubeadm_ha_v1_VerifyReport>;
  
}

export interface AdminServiceDefinition extends grpc.ServiceDefinition {
  AddNode: MethodDefinition<_kubeadm_ha_v1_AddNodeRequest, _kubeadm_ha_v1_DeployEvent, _kubeadm_ha_v1_AddNodeRequest__Output, _kubeadm_ha_v1_DeployEvent__Output>
  ApproveNode: MethodDefinition<_kubeadm_ha_v1_ApproveNodeRequest, _kubeadm_ha_v1_DeployEvent, _kubeadm_ha_v1_ApproveNodeRequest__Output, _kubeadm_ha_v1_DeployEvent__Output>
  CertsCheck: MethodDefinition<_kubeadm_ha_v1_CertsCheckRequest, _kubeadm_ha_v1_CertsCheckResponse, _kubeadm_ha_v1_CertsCheckRequest__Output, _kubeadm_ha_v1_CertsCheckResponse__Output>
  CertsRenew: MethodDefinition<_kubeadm_ha_v1_CertsRenewRequest, _kubeadm_ha_v1_DeployEvent, _kubeadm_ha_v1_CertsRenewRequest__Output, _kubeadm_ha_v1_DeployEvent__Output>
  CreateToken: MethodDefinition<_kubeadm_ha_v1_CreateTokenRequest, _kubeadm_ha_v1_CreateTokenResponse, _kubeadm_ha_v1_CreateTokenRequest__Output, _kubeadm_ha_v1_CreateTokenResponse__Output>
  DeleteToken: MethodDefinition<_kubeadm_ha_v1_DeleteTokenRequest, _kubeadm_ha_v1_DeleteTokenResponse, _kubeadm_ha_v1_DeleteTokenRequest__Output, _kubeadm_ha_v1_DeleteTokenResponse__Output>
  Deploy: MethodDefinition<_kubeadm_ha_v1_DeployRequest, _kubeadm_ha_v1_DeployEvent, _kubeadm_ha_v1_DeployRequest__Output, _kubeadm_ha_v1_DeployEvent__Output>
  EtcdRestore: MethodDefinition<_kubeadm_ha_v1_EtcdRestoreRequest, _kubeadm_ha_v1_DeployEvent, _kubeadm_ha_v1_EtcdRestoreRequest__Output, _kubeadm_ha_v1_DeployEvent__Output>
  EtcdSnapshot: MethodDefinition<_kubeadm_ha_v1_EtcdSnapshotRequest, _kubeadm_ha_v1_EtcdSnapshotResponse, _kubeadm_ha_v1_EtcdSnapshotRequest__Output, _kubeadm_ha_v1_EtcdSnapshotResponse__Output>
  EtcdStatus: MethodDefinition<_kubeadm_ha_v1_EtcdStatusRequest, _kubeadm_ha_v1_EtcdStatusResponse, _kubeadm_ha_v1_EtcdStatusRequest__Output, _kubeadm_ha_v1_EtcdStatusResponse__Output>
  ForgetNode: MethodDefinition<_kubeadm_ha_v1_ForgetNodeRequest, _kubeadm_ha_v1_ForgetNodeResponse, _kubeadm_ha_v1_ForgetNodeRequest__Output, _kubeadm_ha_v1_ForgetNodeResponse__Output>
  JoinCommand: MethodDefinition<_kubeadm_ha_v1_JoinCommandRequest, _kubeadm_ha_v1_JoinCommandResponse, _kubeadm_ha_v1_JoinCommandRequest__Output, _kubeadm_ha_v1_JoinCommandResponse__Output>
  Leader: MethodDefinition<_kubeadm_ha_v1_LeaderRequest, _kubeadm_ha_v1_LeaderResponse, _kubeadm_ha_v1_LeaderRequest__Output, _kubeadm_ha_v1_LeaderResponse__Output>
  ListTokens: MethodDefinition<_kubeadm_ha_v1_ListTokensRequest, _kubeadm_ha_v1_ListTokensResponse, _kubeadm_ha_v1_ListTokensRequest__Output, _kubeadm_ha_v1_ListTokensResponse__Output>
  Nodes: MethodDefinition<_kubeadm_ha_v1_NodesRequest, _kubeadm_ha_v1_NodesResponse, _kubeadm_ha_v1_NodesRequest__Output, _kubeadm_ha_v1_NodesResponse__Output>
  RemoveNode: MethodDefinition<_kubeadm_ha_v1_RemoveNodeRequest, _kubeadm_ha_v1_DeployEvent, _kubeadm_ha_v1_RemoveNodeRequest__Output, _kubeadm_ha_v1_DeployEvent__Output>
  Reset: MethodDefinition<_kubeadm_ha_v1_ResetRequest, _kubeadm_ha_v1_DeployEvent, _kubeadm_ha_v1_ResetRequest__Output, _kubeadm_ha_v1_DeployEvent__Output>
  Status: MethodDefinition<_kubeadm_ha_v1_StatusRequest, _kubeadm_ha_v1_StatusResponse, _kubeadm_ha_v1_StatusRequest__Output, _kubeadm_ha_v1_StatusResponse__Output>
  Upgrade: MethodDefinition<_kubeadm_ha_v1_UpgradeRequest, _kubeadm_ha_v1_DeployEvent, _kubeadm_ha_v1_UpgradeRequest__Output, _kubeadm_ha_v1_DeployEvent__Output>
  UploadTrust: MethodDefinition<_kubeadm_ha_v1_UploadTrustRequest, _kubeadm_ha_v1_UploadTrustResponse, _kubeadm_ha_v1_UploadTrustRequest__Output, _kubeadm_ha_v1_UploadTrustResponse__Output>
  Verify: MethodDefinition<_kubeadm_ha_v1_VerifyRequest, _kubeadm_ha_v1_VerifyReport, _kubeadm_ha_v1_VerifyRequest__Output, _kubeadm_ha_v1_VerifyReport__Output>
}
