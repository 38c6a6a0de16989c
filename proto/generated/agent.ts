import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { AgentMessage as _kubeadm_ha_v1_AgentMessage, AgentMessage__Output as _kubeadm_ha_v1_AgentMessage__Output } from './kubeadm_ha/v1/AgentMessage.js';
import type { AgentServiceClient as _kubeadm_ha_v1_AgentServiceClient, AgentServiceDefinition as _kubeadm_ha_v1_AgentServiceDefinition } from './kubeadm_ha/v1/AgentService.js';
import type { AgentStatus as _kubeadm_ha_v1_AgentStatus, AgentStatus__Output as _kubeadm_ha_v1_AgentStatus__Output } from './kubeadm_ha/v1/AgentStatus.js';
import type { Cancel as _kubeadm_ha_v1_Cancel, Cancel__Output as _kubeadm_ha_v1_Cancel__Output } from './kubeadm_ha/v1/Cancel.js';
import type { CertificateIssued as _kubeadm_ha_v1_CertificateIssued, CertificateIssued__Output as _kubeadm_ha_v1_CertificateIssued__Output } from './kubeadm_ha/v1/CertificateIssued.js';
import type { CertificateValidity as _kubeadm_ha_v1_CertificateValidity, CertificateValidity__Output as _kubeadm_ha_v1_CertificateValidity__Output } from './kubeadm_ha/v1/CertificateValidity.js';
import type { CertsCheck as _kubeadm_ha_v1_CertsCheck, CertsCheck__Output as _kubeadm_ha_v1_CertsCheck__Output } from './kubeadm_ha/v1/CertsCheck.js';
import type { CertsCheckResult as _kubeadm_ha_v1_CertsCheckResult, CertsCheckResult__Output as _kubeadm_ha_v1_CertsCheckResult__Output } from './kubeadm_ha/v1/CertsCheckResult.js';
import type { CertsRenew as _kubeadm_ha_v1_CertsRenew, CertsRenew__Output as _kubeadm_ha_v1_CertsRenew__Output } from './kubeadm_ha/v1/CertsRenew.js';
import type { CertsRenewResult as _kubeadm_ha_v1_CertsRenewResult, CertsRenewResult__Output as _kubeadm_ha_v1_CertsRenewResult__Output } from './kubeadm_ha/v1/CertsRenewResult.js';
import type { ContainerRuntime as _kubeadm_ha_v1_ContainerRuntime, ContainerRuntime__Output as _kubeadm_ha_v1_ContainerRuntime__Output } from './kubeadm_ha/v1/ContainerRuntime.js';
import type { CoordinatorMessage as _kubeadm_ha_v1_CoordinatorMessage, CoordinatorMessage__Output as _kubeadm_ha_v1_CoordinatorMessage__Output } from './kubeadm_ha/v1/CoordinatorMessage.js';
import type { CreateJoinToken as _kubeadm_ha_v1_CreateJoinToken, CreateJoinToken__Output as _kubeadm_ha_v1_CreateJoinToken__Output } from './kubeadm_ha/v1/CreateJoinToken.js';
import type { CreateJoinTokenResult as _kubeadm_ha_v1_CreateJoinTokenResult, CreateJoinTokenResult__Output as _kubeadm_ha_v1_CreateJoinTokenResult__Output } from './kubeadm_ha/v1/CreateJoinTokenResult.js';
import type { DeleteCertsSecret as _kubeadm_ha_v1_DeleteCertsSecret, DeleteCertsSecret__Output as _kubeadm_ha_v1_DeleteCertsSecret__Output } from './kubeadm_ha/v1/DeleteCertsSecret.js';
import type { DeleteToken as _kubeadm_ha_v1_DeleteToken, DeleteToken__Output as _kubeadm_ha_v1_DeleteToken__Output } from './kubeadm_ha/v1/DeleteToken.js';
import type { ErrorDetail as _kubeadm_ha_v1_ErrorDetail, ErrorDetail__Output as _kubeadm_ha_v1_ErrorDetail__Output } from './kubeadm_ha/v1/ErrorDetail.js';
import type { ErrorIssue as _kubeadm_ha_v1_ErrorIssue, ErrorIssue__Output as _kubeadm_ha_v1_ErrorIssue__Output } from './kubeadm_ha/v1/ErrorIssue.js';
import type { EtcdAlarm as _kubeadm_ha_v1_EtcdAlarm, EtcdAlarm__Output as _kubeadm_ha_v1_EtcdAlarm__Output } from './kubeadm_ha/v1/EtcdAlarm.js';
import type { EtcdEndpointStatus as _kubeadm_ha_v1_EtcdEndpointStatus, EtcdEndpointStatus__Output as _kubeadm_ha_v1_EtcdEndpointStatus__Output } from './kubeadm_ha/v1/EtcdEndpointStatus.js';
import type { EtcdMember as _kubeadm_ha_v1_EtcdMember, EtcdMember__Output as _kubeadm_ha_v1_EtcdMember__Output } from './kubeadm_ha/v1/EtcdMember.js';
import type { EtcdMoveLeader as _kubeadm_ha_v1_EtcdMoveLeader, EtcdMoveLeader__Output as _kubeadm_ha_v1_EtcdMoveLeader__Output } from './kubeadm_ha/v1/EtcdMoveLeader.js';
import type { EtcdMoveLeaderResult as _kubeadm_ha_v1_EtcdMoveLeaderResult, EtcdMoveLeaderResult__Output as _kubeadm_ha_v1_EtcdMoveLeaderResult__Output } from './kubeadm_ha/v1/EtcdMoveLeaderResult.js';
import type { EtcdRemoveMember as _kubeadm_ha_v1_EtcdRemoveMember, EtcdRemoveMember__Output as _kubeadm_ha_v1_EtcdRemoveMember__Output } from './kubeadm_ha/v1/EtcdRemoveMember.js';
import type { EtcdRemoveMemberResult as _kubeadm_ha_v1_EtcdRemoveMemberResult, EtcdRemoveMemberResult__Output as _kubeadm_ha_v1_EtcdRemoveMemberResult__Output } from './kubeadm_ha/v1/EtcdRemoveMemberResult.js';
import type { EtcdRestoreMember as _kubeadm_ha_v1_EtcdRestoreMember, EtcdRestoreMember__Output as _kubeadm_ha_v1_EtcdRestoreMember__Output } from './kubeadm_ha/v1/EtcdRestoreMember.js';
import type { EtcdRestoreMemberResult as _kubeadm_ha_v1_EtcdRestoreMemberResult, EtcdRestoreMemberResult__Output as _kubeadm_ha_v1_EtcdRestoreMemberResult__Output } from './kubeadm_ha/v1/EtcdRestoreMemberResult.js';
import type { EtcdRestorePeer as _kubeadm_ha_v1_EtcdRestorePeer, EtcdRestorePeer__Output as _kubeadm_ha_v1_EtcdRestorePeer__Output } from './kubeadm_ha/v1/EtcdRestorePeer.js';
import type { EtcdSnapshot as _kubeadm_ha_v1_EtcdSnapshot, EtcdSnapshot__Output as _kubeadm_ha_v1_EtcdSnapshot__Output } from './kubeadm_ha/v1/EtcdSnapshot.js';
import type { EtcdSnapshotResult as _kubeadm_ha_v1_EtcdSnapshotResult, EtcdSnapshotResult__Output as _kubeadm_ha_v1_EtcdSnapshotResult__Output } from './kubeadm_ha/v1/EtcdSnapshotResult.js';
import type { EtcdStageSnapshot as _kubeadm_ha_v1_EtcdStageSnapshot, EtcdStageSnapshot__Output as _kubeadm_ha_v1_EtcdStageSnapshot__Output } from './kubeadm_ha/v1/EtcdStageSnapshot.js';
import type { EtcdStageSnapshotResult as _kubeadm_ha_v1_EtcdStageSnapshotResult, EtcdStageSnapshotResult__Output as _kubeadm_ha_v1_EtcdStageSnapshotResult__Output } from './kubeadm_ha/v1/EtcdStageSnapshotResult.js';
import type { EtcdStatus as _kubeadm_ha_v1_EtcdStatus, EtcdStatus__Output as _kubeadm_ha_v1_EtcdStatus__Output } from './kubeadm_ha/v1/EtcdStatus.js';
import type { EtcdStatusResult as _kubeadm_ha_v1_EtcdStatusResult, EtcdStatusResult__Output as _kubeadm_ha_v1_EtcdStatusResult__Output } from './kubeadm_ha/v1/EtcdStatusResult.js';
import type { FileToWrite as _kubeadm_ha_v1_FileToWrite, FileToWrite__Output as _kubeadm_ha_v1_FileToWrite__Output } from './kubeadm_ha/v1/FileToWrite.js';
import type { HandOverVip as _kubeadm_ha_v1_HandOverVip, HandOverVip__Output as _kubeadm_ha_v1_HandOverVip__Output } from './kubeadm_ha/v1/HandOverVip.js';
import type { HandOverVipResult as _kubeadm_ha_v1_HandOverVipResult, HandOverVipResult__Output as _kubeadm_ha_v1_HandOverVipResult__Output } from './kubeadm_ha/v1/HandOverVipResult.js';
import type { Heartbeat as _kubeadm_ha_v1_Heartbeat, Heartbeat__Output as _kubeadm_ha_v1_Heartbeat__Output } from './kubeadm_ha/v1/Heartbeat.js';
import type { Hello as _kubeadm_ha_v1_Hello, Hello__Output as _kubeadm_ha_v1_Hello__Output } from './kubeadm_ha/v1/Hello.js';
import type { HostAddress as _kubeadm_ha_v1_HostAddress, HostAddress__Output as _kubeadm_ha_v1_HostAddress__Output } from './kubeadm_ha/v1/HostAddress.js';
import type { HostFacts as _kubeadm_ha_v1_HostFacts, HostFacts__Output as _kubeadm_ha_v1_HostFacts__Output } from './kubeadm_ha/v1/HostFacts.js';
import type { InstallPackages as _kubeadm_ha_v1_InstallPackages, InstallPackages__Output as _kubeadm_ha_v1_InstallPackages__Output } from './kubeadm_ha/v1/InstallPackages.js';
import type { InstallPackagesResult as _kubeadm_ha_v1_InstallPackagesResult, InstallPackagesResult__Output as _kubeadm_ha_v1_InstallPackagesResult__Output } from './kubeadm_ha/v1/InstallPackagesResult.js';
import type { KubeadmInit as _kubeadm_ha_v1_KubeadmInit, KubeadmInit__Output as _kubeadm_ha_v1_KubeadmInit__Output } from './kubeadm_ha/v1/KubeadmInit.js';
import type { KubeadmInitResult as _kubeadm_ha_v1_KubeadmInitResult, KubeadmInitResult__Output as _kubeadm_ha_v1_KubeadmInitResult__Output } from './kubeadm_ha/v1/KubeadmInitResult.js';
import type { KubeadmJoin as _kubeadm_ha_v1_KubeadmJoin, KubeadmJoin__Output as _kubeadm_ha_v1_KubeadmJoin__Output } from './kubeadm_ha/v1/KubeadmJoin.js';
import type { KubeadmReset as _kubeadm_ha_v1_KubeadmReset, KubeadmReset__Output as _kubeadm_ha_v1_KubeadmReset__Output } from './kubeadm_ha/v1/KubeadmReset.js';
import type { KubeadmUpgrade as _kubeadm_ha_v1_KubeadmUpgrade, KubeadmUpgrade__Output as _kubeadm_ha_v1_KubeadmUpgrade__Output } from './kubeadm_ha/v1/KubeadmUpgrade.js';
import type { KubeadmUpgradeResult as _kubeadm_ha_v1_KubeadmUpgradeResult, KubeadmUpgradeResult__Output as _kubeadm_ha_v1_KubeadmUpgradeResult__Output } from './kubeadm_ha/v1/KubeadmUpgradeResult.js';
import type { KubectlDrain as _kubeadm_ha_v1_KubectlDrain, KubectlDrain__Output as _kubeadm_ha_v1_KubectlDrain__Output } from './kubeadm_ha/v1/KubectlDrain.js';
import type { KubectlDrainDelete as _kubeadm_ha_v1_KubectlDrainDelete, KubectlDrainDelete__Output as _kubeadm_ha_v1_KubectlDrainDelete__Output } from './kubeadm_ha/v1/KubectlDrainDelete.js';
import type { KubectlUncordon as _kubeadm_ha_v1_KubectlUncordon, KubectlUncordon__Output as _kubeadm_ha_v1_KubectlUncordon__Output } from './kubeadm_ha/v1/KubectlUncordon.js';
import type { LbApplied as _kubeadm_ha_v1_LbApplied, LbApplied__Output as _kubeadm_ha_v1_LbApplied__Output } from './kubeadm_ha/v1/LbApplied.js';
import type { LbServer as _kubeadm_ha_v1_LbServer, LbServer__Output as _kubeadm_ha_v1_LbServer__Output } from './kubeadm_ha/v1/LbServer.js';
import type { LbStatus as _kubeadm_ha_v1_LbStatus, LbStatus__Output as _kubeadm_ha_v1_LbStatus__Output } from './kubeadm_ha/v1/LbStatus.js';
import type { LbStatusResult as _kubeadm_ha_v1_LbStatusResult, LbStatusResult__Output as _kubeadm_ha_v1_LbStatusResult__Output } from './kubeadm_ha/v1/LbStatusResult.js';
import type { Leftover as _kubeadm_ha_v1_Leftover, Leftover__Output as _kubeadm_ha_v1_Leftover__Output } from './kubeadm_ha/v1/Leftover.js';
import type { NatsEndpoint as _kubeadm_ha_v1_NatsEndpoint, NatsEndpoint__Output as _kubeadm_ha_v1_NatsEndpoint__Output } from './kubeadm_ha/v1/NatsEndpoint.js';
import type { NetworkInterface as _kubeadm_ha_v1_NetworkInterface, NetworkInterface__Output as _kubeadm_ha_v1_NetworkInterface__Output } from './kubeadm_ha/v1/NetworkInterface.js';
import type { NodeStatus as _kubeadm_ha_v1_NodeStatus, NodeStatus__Output as _kubeadm_ha_v1_NodeStatus__Output } from './kubeadm_ha/v1/NodeStatus.js';
import type { NodeStatusResult as _kubeadm_ha_v1_NodeStatusResult, NodeStatusResult__Output as _kubeadm_ha_v1_NodeStatusResult__Output } from './kubeadm_ha/v1/NodeStatusResult.js';
import type { NodeVersions as _kubeadm_ha_v1_NodeVersions, NodeVersions__Output as _kubeadm_ha_v1_NodeVersions__Output } from './kubeadm_ha/v1/NodeVersions.js';
import type { NodeVersionsResult as _kubeadm_ha_v1_NodeVersionsResult, NodeVersionsResult__Output as _kubeadm_ha_v1_NodeVersionsResult__Output } from './kubeadm_ha/v1/NodeVersionsResult.js';
import type { ParkControlPlane as _kubeadm_ha_v1_ParkControlPlane, ParkControlPlane__Output as _kubeadm_ha_v1_ParkControlPlane__Output } from './kubeadm_ha/v1/ParkControlPlane.js';
import type { ParkControlPlaneResult as _kubeadm_ha_v1_ParkControlPlaneResult, ParkControlPlaneResult__Output as _kubeadm_ha_v1_ParkControlPlaneResult__Output } from './kubeadm_ha/v1/ParkControlPlaneResult.js';
import type { Ping as _kubeadm_ha_v1_Ping, Ping__Output as _kubeadm_ha_v1_Ping__Output } from './kubeadm_ha/v1/Ping.js';
import type { Preflight as _kubeadm_ha_v1_Preflight, Preflight__Output as _kubeadm_ha_v1_Preflight__Output } from './kubeadm_ha/v1/Preflight.js';
import type { PreflightResult as _kubeadm_ha_v1_PreflightResult, PreflightResult__Output as _kubeadm_ha_v1_PreflightResult__Output } from './kubeadm_ha/v1/PreflightResult.js';
import type { RegisterRequest as _kubeadm_ha_v1_RegisterRequest, RegisterRequest__Output as _kubeadm_ha_v1_RegisterRequest__Output } from './kubeadm_ha/v1/RegisterRequest.js';
import type { RegisterResponse as _kubeadm_ha_v1_RegisterResponse, RegisterResponse__Output as _kubeadm_ha_v1_RegisterResponse__Output } from './kubeadm_ha/v1/RegisterResponse.js';
import type { RemoveVip as _kubeadm_ha_v1_RemoveVip, RemoveVip__Output as _kubeadm_ha_v1_RemoveVip__Output } from './kubeadm_ha/v1/RemoveVip.js';
import type { RenewCertificate as _kubeadm_ha_v1_RenewCertificate, RenewCertificate__Output as _kubeadm_ha_v1_RenewCertificate__Output } from './kubeadm_ha/v1/RenewCertificate.js';
import type { RestartKubelet as _kubeadm_ha_v1_RestartKubelet, RestartKubelet__Output as _kubeadm_ha_v1_RestartKubelet__Output } from './kubeadm_ha/v1/RestartKubelet.js';
import type { ServedCertificate as _kubeadm_ha_v1_ServedCertificate, ServedCertificate__Output as _kubeadm_ha_v1_ServedCertificate__Output } from './kubeadm_ha/v1/ServedCertificate.js';
import type { ServedCertificateResult as _kubeadm_ha_v1_ServedCertificateResult, ServedCertificateResult__Output as _kubeadm_ha_v1_ServedCertificateResult__Output } from './kubeadm_ha/v1/ServedCertificateResult.js';
import type { SetVipTrack as _kubeadm_ha_v1_SetVipTrack, SetVipTrack__Output as _kubeadm_ha_v1_SetVipTrack__Output } from './kubeadm_ha/v1/SetVipTrack.js';
import type { StartLoadBalancer as _kubeadm_ha_v1_StartLoadBalancer, StartLoadBalancer__Output as _kubeadm_ha_v1_StartLoadBalancer__Output } from './kubeadm_ha/v1/StartLoadBalancer.js';
import type { StopLoadBalancer as _kubeadm_ha_v1_StopLoadBalancer, StopLoadBalancer__Output as _kubeadm_ha_v1_StopLoadBalancer__Output } from './kubeadm_ha/v1/StopLoadBalancer.js';
import type { Task as _kubeadm_ha_v1_Task, Task__Output as _kubeadm_ha_v1_Task__Output } from './kubeadm_ha/v1/Task.js';
import type { TaskProgress as _kubeadm_ha_v1_TaskProgress, TaskProgress__Output as _kubeadm_ha_v1_TaskProgress__Output } from './kubeadm_ha/v1/TaskProgress.js';
import type { TaskResult as _kubeadm_ha_v1_TaskResult, TaskResult__Output as _kubeadm_ha_v1_TaskResult__Output } from './kubeadm_ha/v1/TaskResult.js';
import type { UploadCerts as _kubeadm_ha_v1_UploadCerts, UploadCerts__Output as _kubeadm_ha_v1_UploadCerts__Output } from './kubeadm_ha/v1/UploadCerts.js';
import type { VerifyClean as _kubeadm_ha_v1_VerifyClean, VerifyClean__Output as _kubeadm_ha_v1_VerifyClean__Output } from './kubeadm_ha/v1/VerifyClean.js';
import type { VerifyCleanResult as _kubeadm_ha_v1_VerifyCleanResult, VerifyCleanResult__Output as _kubeadm_ha_v1_VerifyCleanResult__Output } from './kubeadm_ha/v1/VerifyCleanResult.js';
import type { WaitApiserver as _kubeadm_ha_v1_WaitApiserver, WaitApiserver__Output as _kubeadm_ha_v1_WaitApiserver__Output } from './kubeadm_ha/v1/WaitApiserver.js';
import type { WaitApiserverResult as _kubeadm_ha_v1_WaitApiserverResult, WaitApiserverResult__Output as _kubeadm_ha_v1_WaitApiserverResult__Output } from './kubeadm_ha/v1/WaitApiserverResult.js';
import type { WriteFiles as _kubeadm_ha_v1_WriteFiles, WriteFiles__Output as _kubeadm_ha_v1_WriteFiles__Output } from './kubeadm_ha/v1/WriteFiles.js';
import type { WriteFilesResult as _kubeadm_ha_v1_WriteFilesResult, WriteFilesResult__Output as _kubeadm_ha_v1_WriteFilesResult__Output } from './kubeadm_ha/v1/WriteFilesResult.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  kubeadm_ha: {
    v1: {
      AddressFamily: EnumTypeDefinition
      AgentMessage: MessageTypeDefinition<_kubeadm_ha_v1_AgentMessage, _kubeadm_ha_v1_AgentMessage__Output>
      AgentService: SubtypeConstructor<typeof grpc.Client, _kubeadm_ha_v1_AgentServiceClient> & { service: _kubeadm_ha_v1_AgentServiceDefinition }
      AgentStatus: MessageTypeDefinition<_kubeadm_ha_v1_AgentStatus, _kubeadm_ha_v1_AgentStatus__Output>
      Cancel: MessageTypeDefinition<_kubeadm_ha_v1_Cancel, _kubeadm_ha_v1_Cancel__Output>
      CertificateIssued: MessageTypeDefinition<_kubeadm_ha_v1_CertificateIssued, _kubeadm_ha_v1_CertificateIssued__Output>
      CertificateValidity: MessageTypeDefinition<_kubeadm_ha_v1_CertificateValidity, _kubeadm_ha_v1_CertificateValidity__Output>
      CertsCheck: MessageTypeDefinition<_kubeadm_ha_v1_CertsCheck, _kubeadm_ha_v1_CertsCheck__Output>
      CertsCheckResult: MessageTypeDefinition<_kubeadm_ha_v1_CertsCheckResult, _kubeadm_ha_v1_CertsCheckResult__Output>
      CertsRenew: MessageTypeDefinition<_kubeadm_ha_v1_CertsRenew, _kubeadm_ha_v1_CertsRenew__Output>
      CertsRenewResult: MessageTypeDefinition<_kubeadm_ha_v1_CertsRenewResult, _kubeadm_ha_v1_CertsRenewResult__Output>
      ContainerRuntime: MessageTypeDefinition<_kubeadm_ha_v1_ContainerRuntime, _kubeadm_ha_v1_ContainerRuntime__Output>
      CoordinatorMessage: MessageTypeDefinition<_kubeadm_ha_v1_CoordinatorMessage, _kubeadm_ha_v1_CoordinatorMessage__Output>
      CreateJoinToken: MessageTypeDefinition<_kubeadm_ha_v1_CreateJoinToken, _kubeadm_ha_v1_CreateJoinToken__Output>
      CreateJoinTokenResult: MessageTypeDefinition<_kubeadm_ha_v1_CreateJoinTokenResult, _kubeadm_ha_v1_CreateJoinTokenResult__Output>
      DeleteCertsSecret: MessageTypeDefinition<_kubeadm_ha_v1_DeleteCertsSecret, _kubeadm_ha_v1_DeleteCertsSecret__Output>
      DeleteToken: MessageTypeDefinition<_kubeadm_ha_v1_DeleteToken, _kubeadm_ha_v1_DeleteToken__Output>
      ErrorCode: EnumTypeDefinition
      ErrorDetail: MessageTypeDefinition<_kubeadm_ha_v1_ErrorDetail, _kubeadm_ha_v1_ErrorDetail__Output>
      ErrorIssue: MessageTypeDefinition<_kubeadm_ha_v1_ErrorIssue, _kubeadm_ha_v1_ErrorIssue__Output>
      EtcdAlarm: MessageTypeDefinition<_kubeadm_ha_v1_EtcdAlarm, _kubeadm_ha_v1_EtcdAlarm__Output>
      EtcdEndpointStatus: MessageTypeDefinition<_kubeadm_ha_v1_EtcdEndpointStatus, _kubeadm_ha_v1_EtcdEndpointStatus__Output>
      EtcdMember: MessageTypeDefinition<_kubeadm_ha_v1_EtcdMember, _kubeadm_ha_v1_EtcdMember__Output>
      EtcdMoveLeader: MessageTypeDefinition<_kubeadm_ha_v1_EtcdMoveLeader, _kubeadm_ha_v1_EtcdMoveLeader__Output>
      EtcdMoveLeaderResult: MessageTypeDefinition<_kubeadm_ha_v1_EtcdMoveLeaderResult, _kubeadm_ha_v1_EtcdMoveLeaderResult__Output>
      EtcdRemoveMember: MessageTypeDefinition<_kubeadm_ha_v1_EtcdRemoveMember, _kubeadm_ha_v1_EtcdRemoveMember__Output>
      EtcdRemoveMemberResult: MessageTypeDefinition<_kubeadm_ha_v1_EtcdRemoveMemberResult, _kubeadm_ha_v1_EtcdRemoveMemberResult__Output>
      EtcdRestoreMember: MessageTypeDefinition<_kubeadm_ha_v1_EtcdRestoreMember, _kubeadm_ha_v1_EtcdRestoreMember__Output>
      EtcdRestoreMemberResult: MessageTypeDefinition<_kubeadm_ha_v1_EtcdRestoreMemberResult, _kubeadm_ha_v1_EtcdRestoreMemberResult__Output>
      EtcdRestorePeer: MessageTypeDefinition<_kubeadm_ha_v1_EtcdRestorePeer, _kubeadm_ha_v1_EtcdRestorePeer__Output>
      EtcdSnapshot: MessageTypeDefinition<_kubeadm_ha_v1_EtcdSnapshot, _kubeadm_ha_v1_EtcdSnapshot__Output>
      EtcdSnapshotResult: MessageTypeDefinition<_kubeadm_ha_v1_EtcdSnapshotResult, _kubeadm_ha_v1_EtcdSnapshotResult__Output>
      EtcdStageSnapshot: MessageTypeDefinition<_kubeadm_ha_v1_EtcdStageSnapshot, _kubeadm_ha_v1_EtcdStageSnapshot__Output>
      EtcdStageSnapshotResult: MessageTypeDefinition<_kubeadm_ha_v1_EtcdStageSnapshotResult, _kubeadm_ha_v1_EtcdStageSnapshotResult__Output>
      EtcdStatus: MessageTypeDefinition<_kubeadm_ha_v1_EtcdStatus, _kubeadm_ha_v1_EtcdStatus__Output>
      EtcdStatusResult: MessageTypeDefinition<_kubeadm_ha_v1_EtcdStatusResult, _kubeadm_ha_v1_EtcdStatusResult__Output>
      FileToWrite: MessageTypeDefinition<_kubeadm_ha_v1_FileToWrite, _kubeadm_ha_v1_FileToWrite__Output>
      HandOverVip: MessageTypeDefinition<_kubeadm_ha_v1_HandOverVip, _kubeadm_ha_v1_HandOverVip__Output>
      HandOverVipResult: MessageTypeDefinition<_kubeadm_ha_v1_HandOverVipResult, _kubeadm_ha_v1_HandOverVipResult__Output>
      Heartbeat: MessageTypeDefinition<_kubeadm_ha_v1_Heartbeat, _kubeadm_ha_v1_Heartbeat__Output>
      Hello: MessageTypeDefinition<_kubeadm_ha_v1_Hello, _kubeadm_ha_v1_Hello__Output>
      HostAddress: MessageTypeDefinition<_kubeadm_ha_v1_HostAddress, _kubeadm_ha_v1_HostAddress__Output>
      HostFacts: MessageTypeDefinition<_kubeadm_ha_v1_HostFacts, _kubeadm_ha_v1_HostFacts__Output>
      InstallPackages: MessageTypeDefinition<_kubeadm_ha_v1_InstallPackages, _kubeadm_ha_v1_InstallPackages__Output>
      InstallPackagesResult: MessageTypeDefinition<_kubeadm_ha_v1_InstallPackagesResult, _kubeadm_ha_v1_InstallPackagesResult__Output>
      KubeadmInit: MessageTypeDefinition<_kubeadm_ha_v1_KubeadmInit, _kubeadm_ha_v1_KubeadmInit__Output>
      KubeadmInitResult: MessageTypeDefinition<_kubeadm_ha_v1_KubeadmInitResult, _kubeadm_ha_v1_KubeadmInitResult__Output>
      KubeadmJoin: MessageTypeDefinition<_kubeadm_ha_v1_KubeadmJoin, _kubeadm_ha_v1_KubeadmJoin__Output>
      KubeadmReset: MessageTypeDefinition<_kubeadm_ha_v1_KubeadmReset, _kubeadm_ha_v1_KubeadmReset__Output>
      KubeadmUpgrade: MessageTypeDefinition<_kubeadm_ha_v1_KubeadmUpgrade, _kubeadm_ha_v1_KubeadmUpgrade__Output>
      KubeadmUpgradeResult: MessageTypeDefinition<_kubeadm_ha_v1_KubeadmUpgradeResult, _kubeadm_ha_v1_KubeadmUpgradeResult__Output>
      KubectlDrain: MessageTypeDefinition<_kubeadm_ha_v1_KubectlDrain, _kubeadm_ha_v1_KubectlDrain__Output>
      KubectlDrainDelete: MessageTypeDefinition<_kubeadm_ha_v1_KubectlDrainDelete, _kubeadm_ha_v1_KubectlDrainDelete__Output>
      KubectlUncordon: MessageTypeDefinition<_kubeadm_ha_v1_KubectlUncordon, _kubeadm_ha_v1_KubectlUncordon__Output>
      LbApplied: MessageTypeDefinition<_kubeadm_ha_v1_LbApplied, _kubeadm_ha_v1_LbApplied__Output>
      LbServer: MessageTypeDefinition<_kubeadm_ha_v1_LbServer, _kubeadm_ha_v1_LbServer__Output>
      LbStatus: MessageTypeDefinition<_kubeadm_ha_v1_LbStatus, _kubeadm_ha_v1_LbStatus__Output>
      LbStatusResult: MessageTypeDefinition<_kubeadm_ha_v1_LbStatusResult, _kubeadm_ha_v1_LbStatusResult__Output>
      Leftover: MessageTypeDefinition<_kubeadm_ha_v1_Leftover, _kubeadm_ha_v1_Leftover__Output>
      LogLevel: EnumTypeDefinition
      NatsEndpoint: MessageTypeDefinition<_kubeadm_ha_v1_NatsEndpoint, _kubeadm_ha_v1_NatsEndpoint__Output>
      NetworkInterface: MessageTypeDefinition<_kubeadm_ha_v1_NetworkInterface, _kubeadm_ha_v1_NetworkInterface__Output>
      NodeStatus: MessageTypeDefinition<_kubeadm_ha_v1_NodeStatus, _kubeadm_ha_v1_NodeStatus__Output>
      NodeStatusResult: MessageTypeDefinition<_kubeadm_ha_v1_NodeStatusResult, _kubeadm_ha_v1_NodeStatusResult__Output>
      NodeVersions: MessageTypeDefinition<_kubeadm_ha_v1_NodeVersions, _kubeadm_ha_v1_NodeVersions__Output>
      NodeVersionsResult: MessageTypeDefinition<_kubeadm_ha_v1_NodeVersionsResult, _kubeadm_ha_v1_NodeVersionsResult__Output>
      ParkControlPlane: MessageTypeDefinition<_kubeadm_ha_v1_ParkControlPlane, _kubeadm_ha_v1_ParkControlPlane__Output>
      ParkControlPlaneResult: MessageTypeDefinition<_kubeadm_ha_v1_ParkControlPlaneResult, _kubeadm_ha_v1_ParkControlPlaneResult__Output>
      Ping: MessageTypeDefinition<_kubeadm_ha_v1_Ping, _kubeadm_ha_v1_Ping__Output>
      Preflight: MessageTypeDefinition<_kubeadm_ha_v1_Preflight, _kubeadm_ha_v1_Preflight__Output>
      PreflightResult: MessageTypeDefinition<_kubeadm_ha_v1_PreflightResult, _kubeadm_ha_v1_PreflightResult__Output>
      RegisterRequest: MessageTypeDefinition<_kubeadm_ha_v1_RegisterRequest, _kubeadm_ha_v1_RegisterRequest__Output>
      RegisterResponse: MessageTypeDefinition<_kubeadm_ha_v1_RegisterResponse, _kubeadm_ha_v1_RegisterResponse__Output>
      RemoveVip: MessageTypeDefinition<_kubeadm_ha_v1_RemoveVip, _kubeadm_ha_v1_RemoveVip__Output>
      RenewCertificate: MessageTypeDefinition<_kubeadm_ha_v1_RenewCertificate, _kubeadm_ha_v1_RenewCertificate__Output>
      RestartKubelet: MessageTypeDefinition<_kubeadm_ha_v1_RestartKubelet, _kubeadm_ha_v1_RestartKubelet__Output>
      Role: EnumTypeDefinition
      ServedCertificate: MessageTypeDefinition<_kubeadm_ha_v1_ServedCertificate, _kubeadm_ha_v1_ServedCertificate__Output>
      ServedCertificateResult: MessageTypeDefinition<_kubeadm_ha_v1_ServedCertificateResult, _kubeadm_ha_v1_ServedCertificateResult__Output>
      SetVipTrack: MessageTypeDefinition<_kubeadm_ha_v1_SetVipTrack, _kubeadm_ha_v1_SetVipTrack__Output>
      StartLoadBalancer: MessageTypeDefinition<_kubeadm_ha_v1_StartLoadBalancer, _kubeadm_ha_v1_StartLoadBalancer__Output>
      StopLoadBalancer: MessageTypeDefinition<_kubeadm_ha_v1_StopLoadBalancer, _kubeadm_ha_v1_StopLoadBalancer__Output>
      Task: MessageTypeDefinition<_kubeadm_ha_v1_Task, _kubeadm_ha_v1_Task__Output>
      TaskProgress: MessageTypeDefinition<_kubeadm_ha_v1_TaskProgress, _kubeadm_ha_v1_TaskProgress__Output>
      TaskResult: MessageTypeDefinition<_kubeadm_ha_v1_TaskResult, _kubeadm_ha_v1_TaskResult__Output>
      UploadCerts: MessageTypeDefinition<_kubeadm_ha_v1_UploadCerts, _kubeadm_ha_v1_UploadCerts__Output>
      VerifyClean: MessageTypeDefinition<_kubeadm_ha_v1_VerifyClean, _kubeadm_ha_v1_VerifyClean__Output>
      VerifyCleanResult: MessageTypeDefinition<_kubeadm_ha_v1_VerifyCleanResult, _kubeadm_ha_v1_VerifyCleanResult__Output>
      WaitApiserver: MessageTypeDefinition<_kubeadm_ha_v1_WaitApiserver, _kubeadm_ha_v1_WaitApiserver__Output>
      WaitApiserverResult: MessageTypeDefinition<_kubeadm_ha_v1_WaitApiserverResult, _kubeadm_ha_v1_WaitApiserverResult__Output>
      WriteFiles: MessageTypeDefinition<_kubeadm_ha_v1_WriteFiles, _kubeadm_ha_v1_WriteFiles__Output>
      WriteFilesResult: MessageTypeDefinition<_kubeadm_ha_v1_WriteFilesResult, _kubeadm_ha_v1_WriteFilesResult__Output>
    }
  }
}

