import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { AddNodeRequest as _kubeadm_ha_v1_AddNodeRequest, AddNodeRequest__Output as _kubeadm_ha_v1_AddNodeRequest__Output } from './kubeadm_ha/v1/AddNodeRequest.js';
import type { AdminServiceClient as _kubeadm_ha_v1_AdminServiceClient, AdminServiceDefinition as _kubeadm_ha_v1_AdminServiceDefinition } from './kubeadm_ha/v1/AdminService.js';
import type { ApproveNodeRequest as _kubeadm_ha_v1_ApproveNodeRequest, ApproveNodeRequest__Output as _kubeadm_ha_v1_ApproveNodeRequest__Output } from './kubeadm_ha/v1/ApproveNodeRequest.js';
import type { CertificateExpiry as _kubeadm_ha_v1_CertificateExpiry, CertificateExpiry__Output as _kubeadm_ha_v1_CertificateExpiry__Output } from './kubeadm_ha/v1/CertificateExpiry.js';
import type { CertificateRow as _kubeadm_ha_v1_CertificateRow, CertificateRow__Output as _kubeadm_ha_v1_CertificateRow__Output } from './kubeadm_ha/v1/CertificateRow.js';
import type { CertsCheckRequest as _kubeadm_ha_v1_CertsCheckRequest, CertsCheckRequest__Output as _kubeadm_ha_v1_CertsCheckRequest__Output } from './kubeadm_ha/v1/CertsCheckRequest.js';
import type { CertsCheckResponse as _kubeadm_ha_v1_CertsCheckResponse, CertsCheckResponse__Output as _kubeadm_ha_v1_CertsCheckResponse__Output } from './kubeadm_ha/v1/CertsCheckResponse.js';
import type { CertsRenewRequest as _kubeadm_ha_v1_CertsRenewRequest, CertsRenewRequest__Output as _kubeadm_ha_v1_CertsRenewRequest__Output } from './kubeadm_ha/v1/CertsRenewRequest.js';
import type { ContainerRuntime as _kubeadm_ha_v1_ContainerRuntime, ContainerRuntime__Output as _kubeadm_ha_v1_ContainerRuntime__Output } from './kubeadm_ha/v1/ContainerRuntime.js';
import type { CreateTokenRequest as _kubeadm_ha_v1_CreateTokenRequest, CreateTokenRequest__Output as _kubeadm_ha_v1_CreateTokenRequest__Output } from './kubeadm_ha/v1/CreateTokenRequest.js';
import type { CreateTokenResponse as _kubeadm_ha_v1_CreateTokenResponse, CreateTokenResponse__Output as _kubeadm_ha_v1_CreateTokenResponse__Output } from './kubeadm_ha/v1/CreateTokenResponse.js';
import type { DeleteTokenRequest as _kubeadm_ha_v1_DeleteTokenRequest, DeleteTokenRequest__Output as _kubeadm_ha_v1_DeleteTokenRequest__Output } from './kubeadm_ha/v1/DeleteTokenRequest.js';
import type { DeleteTokenResponse as _kubeadm_ha_v1_DeleteTokenResponse, DeleteTokenResponse__Output as _kubeadm_ha_v1_DeleteTokenResponse__Output } from './kubeadm_ha/v1/DeleteTokenResponse.js';
import type { DeployEvent as _kubeadm_ha_v1_DeployEvent, DeployEvent__Output as _kubeadm_ha_v1_DeployEvent__Output } from './kubeadm_ha/v1/DeployEvent.js';
import type { DeployRequest as _kubeadm_ha_v1_DeployRequest, DeployRequest__Output as _kubeadm_ha_v1_DeployRequest__Output } from './kubeadm_ha/v1/DeployRequest.js';
import type { ErrorDetail as _kubeadm_ha_v1_ErrorDetail, ErrorDetail__Output as _kubeadm_ha_v1_ErrorDetail__Output } from './kubeadm_ha/v1/ErrorDetail.js';
import type { ErrorIssue as _kubeadm_ha_v1_ErrorIssue, ErrorIssue__Output as _kubeadm_ha_v1_ErrorIssue__Output } from './kubeadm_ha/v1/ErrorIssue.js';
import type { EtcdMemberRow as _kubeadm_ha_v1_EtcdMemberRow, EtcdMemberRow__Output as _kubeadm_ha_v1_EtcdMemberRow__Output } from './kubeadm_ha/v1/EtcdMemberRow.js';
import type { EtcdRestoreRequest as _kubeadm_ha_v1_EtcdRestoreRequest, EtcdRestoreRequest__Output as _kubeadm_ha_v1_EtcdRestoreRequest__Output } from './kubeadm_ha/v1/EtcdRestoreRequest.js';
import type { EtcdSnapshotRequest as _kubeadm_ha_v1_EtcdSnapshotRequest, EtcdSnapshotRequest__Output as _kubeadm_ha_v1_EtcdSnapshotRequest__Output } from './kubeadm_ha/v1/EtcdSnapshotRequest.js';
import type { EtcdSnapshotResponse as _kubeadm_ha_v1_EtcdSnapshotResponse, EtcdSnapshotResponse__Output as _kubeadm_ha_v1_EtcdSnapshotResponse__Output } from './kubeadm_ha/v1/EtcdSnapshotResponse.js';
import type { EtcdStatusRequest as _kubeadm_ha_v1_EtcdStatusRequest, EtcdStatusRequest__Output as _kubeadm_ha_v1_EtcdStatusRequest__Output } from './kubeadm_ha/v1/EtcdStatusRequest.js';
import type { EtcdStatusResponse as _kubeadm_ha_v1_EtcdStatusResponse, EtcdStatusResponse__Output as _kubeadm_ha_v1_EtcdStatusResponse__Output } from './kubeadm_ha/v1/EtcdStatusResponse.js';
import type { ForgetNodeRequest as _kubeadm_ha_v1_ForgetNodeRequest, ForgetNodeRequest__Output as _kubeadm_ha_v1_ForgetNodeRequest__Output } from './kubeadm_ha/v1/ForgetNodeRequest.js';
import type { ForgetNodeResponse as _kubeadm_ha_v1_ForgetNodeResponse, ForgetNodeResponse__Output as _kubeadm_ha_v1_ForgetNodeResponse__Output } from './kubeadm_ha/v1/ForgetNodeResponse.js';
import type { HostAddress as _kubeadm_ha_v1_HostAddress, HostAddress__Output as _kubeadm_ha_v1_HostAddress__Output } from './kubeadm_ha/v1/HostAddress.js';
import type { HostFacts as _kubeadm_ha_v1_HostFacts, HostFacts__Output as _kubeadm_ha_v1_HostFacts__Output } from './kubeadm_ha/v1/HostFacts.js';
import type { JoinCommandRequest as _kubeadm_ha_v1_JoinCommandRequest, JoinCommandRequest__Output as _kubeadm_ha_v1_JoinCommandRequest__Output } from './kubeadm_ha/v1/JoinCommandRequest.js';
import type { JoinCommandResponse as _kubeadm_ha_v1_JoinCommandResponse, JoinCommandResponse__Output as _kubeadm_ha_v1_JoinCommandResponse__Output } from './kubeadm_ha/v1/JoinCommandResponse.js';
import type { LeaderRequest as _kubeadm_ha_v1_LeaderRequest, LeaderRequest__Output as _kubeadm_ha_v1_LeaderRequest__Output } from './kubeadm_ha/v1/LeaderRequest.js';
import type { LeaderResponse as _kubeadm_ha_v1_LeaderResponse, LeaderResponse__Output as _kubeadm_ha_v1_LeaderResponse__Output } from './kubeadm_ha/v1/LeaderResponse.js';
import type { ListTokensRequest as _kubeadm_ha_v1_ListTokensRequest, ListTokensRequest__Output as _kubeadm_ha_v1_ListTokensRequest__Output } from './kubeadm_ha/v1/ListTokensRequest.js';
import type { ListTokensResponse as _kubeadm_ha_v1_ListTokensResponse, ListTokensResponse__Output as _kubeadm_ha_v1_ListTokensResponse__Output } from './kubeadm_ha/v1/ListTokensResponse.js';
import type { NetworkInterface as _kubeadm_ha_v1_NetworkInterface, NetworkInterface__Output as _kubeadm_ha_v1_NetworkInterface__Output } from './kubeadm_ha/v1/NetworkInterface.js';
import type { NodeInfo as _kubeadm_ha_v1_NodeInfo, NodeInfo__Output as _kubeadm_ha_v1_NodeInfo__Output } from './kubeadm_ha/v1/NodeInfo.js';
import type { NodesRequest as _kubeadm_ha_v1_NodesRequest, NodesRequest__Output as _kubeadm_ha_v1_NodesRequest__Output } from './kubeadm_ha/v1/NodesRequest.js';
import type { NodesResponse as _kubeadm_ha_v1_NodesResponse, NodesResponse__Output as _kubeadm_ha_v1_NodesResponse__Output } from './kubeadm_ha/v1/NodesResponse.js';
import type { OperationSummary as _kubeadm_ha_v1_OperationSummary, OperationSummary__Output as _kubeadm_ha_v1_OperationSummary__Output } from './kubeadm_ha/v1/OperationSummary.js';
import type { PhaseStatus as _kubeadm_ha_v1_PhaseStatus, PhaseStatus__Output as _kubeadm_ha_v1_PhaseStatus__Output } from './kubeadm_ha/v1/PhaseStatus.js';
import type { RemoveNodeRequest as _kubeadm_ha_v1_RemoveNodeRequest, RemoveNodeRequest__Output as _kubeadm_ha_v1_RemoveNodeRequest__Output } from './kubeadm_ha/v1/RemoveNodeRequest.js';
import type { ResetRequest as _kubeadm_ha_v1_ResetRequest, ResetRequest__Output as _kubeadm_ha_v1_ResetRequest__Output } from './kubeadm_ha/v1/ResetRequest.js';
import type { StatusRequest as _kubeadm_ha_v1_StatusRequest, StatusRequest__Output as _kubeadm_ha_v1_StatusRequest__Output } from './kubeadm_ha/v1/StatusRequest.js';
import type { StatusResponse as _kubeadm_ha_v1_StatusResponse, StatusResponse__Output as _kubeadm_ha_v1_StatusResponse__Output } from './kubeadm_ha/v1/StatusResponse.js';
import type { TokenInfo as _kubeadm_ha_v1_TokenInfo, TokenInfo__Output as _kubeadm_ha_v1_TokenInfo__Output } from './kubeadm_ha/v1/TokenInfo.js';
import type { UpgradeRequest as _kubeadm_ha_v1_UpgradeRequest, UpgradeRequest__Output as _kubeadm_ha_v1_UpgradeRequest__Output } from './kubeadm_ha/v1/UpgradeRequest.js';
import type { UploadTrustRequest as _kubeadm_ha_v1_UploadTrustRequest, UploadTrustRequest__Output as _kubeadm_ha_v1_UploadTrustRequest__Output } from './kubeadm_ha/v1/UploadTrustRequest.js';
import type { UploadTrustResponse as _kubeadm_ha_v1_UploadTrustResponse, UploadTrustResponse__Output as _kubeadm_ha_v1_UploadTrustResponse__Output } from './kubeadm_ha/v1/UploadTrustResponse.js';
import type { VerifyReport as _kubeadm_ha_v1_VerifyReport, VerifyReport__Output as _kubeadm_ha_v1_VerifyReport__Output } from './kubeadm_ha/v1/VerifyReport.js';
import type { VerifyRequest as _kubeadm_ha_v1_VerifyRequest, VerifyRequest__Output as _kubeadm_ha_v1_VerifyRequest__Output } from './kubeadm_ha/v1/VerifyRequest.js';
import type { VerifyRow as _kubeadm_ha_v1_VerifyRow, VerifyRow__Output as _kubeadm_ha_v1_VerifyRow__Output } from './kubeadm_ha/v1/VerifyRow.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  kubeadm_ha: {
    v1: {
      AddNodeRequest: MessageTypeDefinition<_kubeadm_ha_v1_AddNodeRequest, _kubeadm_ha_v1_AddNodeRequest__Output>
      AddressFamily: EnumTypeDefinition
      AdminService: SubtypeConstructor<typeof grpc.Client, _kubeadm_ha_v1_AdminServiceClient> & { service: _kubeadm_ha_v1_AdminServiceDefinition }
      ApproveNodeRequest: MessageTypeDefinition<_kubeadm_ha_v1_ApproveNodeRequest, _kubeadm_ha_v1_ApproveNodeRequest__Output>
      CertificateExpiry: MessageTypeDefinition<_kubeadm_ha_v1_CertificateExpiry, _kubeadm_ha_v1_CertificateExpiry__Output>
      CertificateRow: MessageTypeDefinition<_kubeadm_ha_v1_CertificateRow, _kubeadm_ha_v1_CertificateRow__Output>
      CertsCheckRequest: MessageTypeDefinition<_kubeadm_ha_v1_CertsCheckRequest, _kubeadm_ha_v1_CertsCheckRequest__Output>
      CertsCheckResponse: MessageTypeDefinition<_kubeadm_ha_v1_CertsCheckResponse, _kubeadm_ha_v1_CertsCheckResponse__Output>
      CertsRenewRequest: MessageTypeDefinition<_kubeadm_ha_v1_CertsRenewRequest, _kubeadm_ha_v1_CertsRenewRequest__Output>
      ContainerRuntime: MessageTypeDefinition<_kubeadm_ha_v1_ContainerRuntime, _kubeadm_ha_v1_ContainerRuntime__Output>
      CreateTokenRequest: MessageTypeDefinition<_kubeadm_ha_v1_CreateTokenRequest, _kubeadm_ha_v1_CreateTokenRequest__Output>
      CreateTokenResponse: MessageTypeDefinition<_kubeadm_ha_v1_CreateTokenResponse, _kubeadm_ha_v1_CreateTokenResponse__Output>
      DeleteTokenRequest: MessageTypeDefinition<_kubeadm_ha_v1_DeleteTokenRequest, _kubeadm_ha_v1_DeleteTokenRequest__Output>
      DeleteTokenResponse: MessageTypeDefinition<_kubeadm_ha_v1_DeleteTokenResponse, _kubeadm_ha_v1_DeleteTokenResponse__Output>
      DeployEvent: MessageTypeDefinition<_kubeadm_ha_v1_DeployEvent, _kubeadm_ha_v1_DeployEvent__Output>
      DeployRequest: MessageTypeDefinition<_kubeadm_ha_v1_DeployRequest, _kubeadm_ha_v1_DeployRequest__Output>
      ErrorCode: EnumTypeDefinition
      ErrorDetail: MessageTypeDefinition<_kubeadm_ha_v1_ErrorDetail, _kubeadm_ha_v1_ErrorDetail__Output>
      ErrorIssue: MessageTypeDefinition<_kubeadm_ha_v1_ErrorIssue, _kubeadm_ha_v1_ErrorIssue__Output>
      EtcdMemberRow: MessageTypeDefinition<_kubeadm_ha_v1_EtcdMemberRow, _kubeadm_ha_v1_EtcdMemberRow__Output>
      EtcdRestoreRequest: MessageTypeDefinition<_kubeadm_ha_v1_EtcdRestoreRequest, _kubeadm_ha_v1_EtcdRestoreRequest__Output>
      EtcdSnapshotRequest: MessageTypeDefinition<_kubeadm_ha_v1_EtcdSnapshotRequest, _kubeadm_ha_v1_EtcdSnapshotRequest__Output>
      EtcdSnapshotResponse: MessageTypeDefinition<_kubeadm_ha_v1_EtcdSnapshotResponse, _kubeadm_ha_v1_EtcdSnapshotResponse__Output>
      EtcdStatusRequest: MessageTypeDefinition<_kubeadm_ha_v1_EtcdStatusRequest, _kubeadm_ha_v1_EtcdStatusRequest__Output>
      EtcdStatusResponse: MessageTypeDefinition<_kubeadm_ha_v1_EtcdStatusResponse, _kubeadm_ha_v1_EtcdStatusResponse__Output>
      ForgetNodeRequest: MessageTypeDefinition<_kubeadm_ha_v1_ForgetNodeRequest, _kubeadm_ha_v1_ForgetNodeRequest__Output>
      ForgetNodeResponse: MessageTypeDefinition<_kubeadm_ha_v1_ForgetNodeResponse, _kubeadm_ha_v1_ForgetNodeResponse__Output>
      HostAddress: MessageTypeDefinition<_kubeadm_ha_v1_HostAddress, _kubeadm_ha_v1_HostAddress__Output>
      HostFacts: MessageTypeDefinition<_kubeadm_ha_v1_HostFacts, _kubeadm_ha_v1_HostFacts__Output>
      JoinCommandRequest: MessageTypeDefinition<_kubeadm_ha_v1_JoinCommandRequest, _kubeadm_ha_v1_JoinCommandRequest__Output>
      JoinCommandResponse: MessageTypeDefinition<_kubeadm_ha_v1_JoinCommandResponse, _kubeadm_ha_v1_JoinCommandResponse__Output>
      LeaderRequest: MessageTypeDefinition<_kubeadm_ha_v1_LeaderRequest, _kubeadm_ha_v1_LeaderRequest__Output>
      LeaderResponse: MessageTypeDefinition<_kubeadm_ha_v1_LeaderResponse, _kubeadm_ha_v1_LeaderResponse__Output>
      ListTokensRequest: MessageTypeDefinition<_kubeadm_ha_v1_ListTokensRequest, _kubeadm_ha_v1_ListTokensRequest__Output>
      ListTokensResponse: MessageTypeDefinition<_kubeadm_ha_v1_ListTokensResponse, _kubeadm_ha_v1_ListTokensResponse__Output>
      LogLevel: EnumTypeDefinition
      NetworkInterface: MessageTypeDefinition<_kubeadm_ha_v1_NetworkInterface, _kubeadm_ha_v1_NetworkInterface__Output>
      NodeInfo: MessageTypeDefinition<_kubeadm_ha_v1_NodeInfo, _kubeadm_ha_v1_NodeInfo__Output>
      NodesRequest: MessageTypeDefinition<_kubeadm_ha_v1_NodesRequest, _kubeadm_ha_v1_NodesRequest__Output>
      NodesResponse: MessageTypeDefinition<_kubeadm_ha_v1_NodesResponse, _kubeadm_ha_v1_NodesResponse__Output>
      OperationSummary: MessageTypeDefinition<_kubeadm_ha_v1_OperationSummary, _kubeadm_ha_v1_OperationSummary__Output>
      PhaseState: EnumTypeDefinition
      PhaseStatus: MessageTypeDefinition<_kubeadm_ha_v1_PhaseStatus, _kubeadm_ha_v1_PhaseStatus__Output>
      RemoveNodeRequest: MessageTypeDefinition<_kubeadm_ha_v1_RemoveNodeRequest, _kubeadm_ha_v1_RemoveNodeRequest__Output>
      ResetRequest: MessageTypeDefinition<_kubeadm_ha_v1_ResetRequest, _kubeadm_ha_v1_ResetRequest__Output>
      Role: EnumTypeDefinition
      StatusRequest: MessageTypeDefinition<_kubeadm_ha_v1_StatusRequest, _kubeadm_ha_v1_StatusRequest__Output>
      StatusResponse: MessageTypeDefinition<_kubeadm_ha_v1_StatusResponse, _kubeadm_ha_v1_StatusResponse__Output>
      TokenInfo: MessageTypeDefinition<_kubeadm_ha_v1_TokenInfo, _kubeadm_ha_v1_TokenInfo__Output>
      UpgradeRequest: MessageTypeDefinition<_kubeadm_ha_v1_UpgradeRequest, _kubeadm_ha_v1_UpgradeRequest__Output>
      UploadTrustRequest: MessageTypeDefinition<_kubeadm_ha_v1_UploadTrustRequest, _kubeadm_ha_v1_UploadTrustRequest__Output>
      UploadTrustResponse: MessageTypeDefinition<_kubeadm_ha_v1_UploadTrustResponse, _kubeadm_ha_v1_UploadTrustResponse__Output>
      VerifyReport: MessageTypeDefinition<_kubeadm_ha_v1_VerifyReport, _kubeadm_ha_v1_VerifyReport__Output>
      VerifyRequest: MessageTypeDefinition<_kubeadm_ha_v1_VerifyRequest, _kubeadm_ha_v1_VerifyRequest__Output>
      VerifyRow: MessageTypeDefinition<_kubeadm_ha_v1_VerifyRow, _kubeadm_ha_v1_VerifyRow__Output>
    }
  }
}

