// Original file: proto/kubeadm_ha/v1/agent.proto

import type { ErrorDetail as _kubeadm_ha_v1_ErrorDetail, ErrorDetail__Output as _kubeadm_ha_v1_ErrorDetail__Output } from '../../kubeadm_ha/v1/ErrorDetail.js';
import type { PreflightResult as _kubeadm_ha_v1_PreflightResult, PreflightResult__Output as _kubeadm_ha_v1_PreflightResult__Output } from '../../kubeadm_ha/v1/PreflightResult.js';
import type { KubeadmInitResult as _kubeadm_ha_v1_KubeadmInitResult, KubeadmInitResult__Output as _kubeadm_ha_v1_KubeadmInitResult__Output } from '../../kubeadm_ha/v1/KubeadmInitResult.js';
import type { CreateJoinTokenResult as _kubeadm_ha_v1_CreateJoinTokenResult, CreateJoinTokenResult__Output as _kubeadm_ha_v1_CreateJoinTokenResult__Output } from '../../kubeadm_ha/v1/CreateJoinTokenResult.js';
import type { WaitApiserverResult as _kubeadm_ha_v1_WaitApiserverResult, WaitApiserverResult__Output as _kubeadm_ha_v1_WaitApiserverResult__Output } from '../../kubeadm_ha/v1/WaitApiserverResult.js';
import type { VerifyCleanResult as _kubeadm_ha_v1_VerifyCleanResult, VerifyCleanResult__Output as _kubeadm_ha_v1_VerifyCleanResult__Output } from '../../kubeadm_ha/v1/VerifyCleanResult.js';
import type { LbStatusResult as _kubeadm_ha_v1_LbStatusResult, LbStatusResult__Output as _kubeadm_ha_v1_LbStatusResult__Output } from '../../kubeadm_ha/v1/LbStatusResult.js';
import type { WriteFilesResult as _kubeadm_ha_v1_WriteFilesResult, WriteFilesResult__Output as _kubeadm_ha_v1_WriteFilesResult__Output } from '../../kubeadm_ha/v1/WriteFilesResult.js';
import type { HandOverVipResult as _kubeadm_ha_v1_HandOverVipResult, HandOverVipResult__Output as _kubeadm_ha_v1_HandOverVipResult__Output } from '../../kubeadm_ha/v1/HandOverVipResult.js';
import type { NodeStatusResult as _kubeadm_ha_v1_NodeStatusResult, NodeStatusResult__Output as _kubeadm_ha_v1_NodeStatusResult__Output } from '../../kubeadm_ha/v1/NodeStatusResult.js';
import type { EtcdStatusResult as _kubeadm_ha_v1_EtcdStatusResult, EtcdStatusResult__Output as _kubeadm_ha_v1_EtcdStatusResult__Output } from '../../kubeadm_ha/v1/EtcdStatusResult.js';
import type { EtcdSnapshotResult as _kubeadm_ha_v1_EtcdSnapshotResult, EtcdSnapshotResult__Output as _kubeadm_ha_v1_EtcdSnapshotResult__Output } from '../../kubeadm_ha/v1/EtcdSnapshotResult.js';
import type { EtcdRemoveMemberResult as _kubeadm_ha_v1_EtcdRemoveMemberResult, EtcdRemoveMemberResult__Output as _kubeadm_ha_v1_EtcdRemoveMemberResult__Output } from '../../kubeadm_ha/v1/EtcdRemoveMemberResult.js';
import type { EtcdMoveLeaderResult as _kubeadm_ha_v1_EtcdMoveLeaderResult, EtcdMoveLeaderResult__Output as _kubeadm_ha_v1_EtcdMoveLeaderResult__Output } from '../../kubeadm_ha/v1/EtcdMoveLeaderResult.js';
import type { EtcdStageSnapshotResult as _kubeadm_ha_v1_EtcdStageSnapshotResult, EtcdStageSnapshotResult__Output as _kubeadm_ha_v1_EtcdStageSnapshotResult__Output } from '../../kubeadm_ha/v1/EtcdStageSnapshotResult.js';
import type { ParkControlPlaneResult as _kubeadm_ha_v1_ParkControlPlaneResult, ParkControlPlaneResult__Output as _kubeadm_ha_v1_ParkControlPlaneResult__Output } from '../../kubeadm_ha/v1/ParkControlPlaneResult.js';
import type { EtcdRestoreMemberResult as _kubeadm_ha_v1_EtcdRestoreMemberResult, EtcdRestoreMemberResult__Output as _kubeadm_ha_v1_EtcdRestoreMemberResult__Output } from '../../kubeadm_ha/v1/EtcdRestoreMemberResult.js';
import type { CertsCheckResult as _kubeadm_ha_v1_CertsCheckResult, CertsCheckResult__Output as _kubeadm_ha_v1_CertsCheckResult__Output } from '../../kubeadm_ha/v1/CertsCheckResult.js';
import type { CertsRenewResult as _kubeadm_ha_v1_CertsRenewResult, CertsRenewResult__Output as _kubeadm_ha_v1_CertsRenewResult__Output } from '../../kubeadm_ha/v1/CertsRenewResult.js';
import type { ServedCertificateResult as _kubeadm_ha_v1_ServedCertificateResult, ServedCertificateResult__Output as _kubeadm_ha_v1_ServedCertificateResult__Output } from '../../kubeadm_ha/v1/ServedCertificateResult.js';
import type { InstallPackagesResult as _kubeadm_ha_v1_InstallPackagesResult, InstallPackagesResult__Output as _kubeadm_ha_v1_InstallPackagesResult__Output } from '../../kubeadm_ha/v1/InstallPackagesResult.js';
import type { KubeadmUpgradeResult as _kubeadm_ha_v1_KubeadmUpgradeResult, KubeadmUpgradeResult__Output as _kubeadm_ha_v1_KubeadmUpgradeResult__Output } from '../../kubeadm_ha/v1/KubeadmUpgradeResult.js';
import type { NodeVersionsResult as _kubeadm_ha_v1_NodeVersionsResult, NodeVersionsResult__Output as _kubeadm_ha_v1_NodeVersionsResult__Output } from '../../kubeadm_ha/v1/NodeVersionsResult.js';

export interface TaskResult {
  'taskId'?: (string);
  'ok'?: (boolean);
  'error'?: (_kubeadm_ha_v1_ErrorDetail | null);
  'preflight'?: (_kubeadm_ha_v1_PreflightResult | null);
  'kubeadmInit'?: (_kubeadm_ha_v1_KubeadmInitResult | null);
  'createJoinToken'?: (_kubeadm_ha_v1_CreateJoinTokenResult | null);
  'waitApiserver'?: (_kubeadm_ha_v1_WaitApiserverResult | null);
  'verifyClean'?: (_kubeadm_ha_v1_VerifyCleanResult | null);
  'lbStatus'?: (_kubeadm_ha_v1_LbStatusResult | null);
  'writeFiles'?: (_kubeadm_ha_v1_WriteFilesResult | null);
  'handOverVip'?: (_kubeadm_ha_v1_HandOverVipResult | null);
  'nodeStatus'?: (_kubeadm_ha_v1_NodeStatusResult | null);
  'etcdStatus'?: (_kubeadm_ha_v1_EtcdStatusResult | null);
  'etcdSnapshot'?: (_kubeadm_ha_v1_EtcdSnapshotResult | null);
  'etcdRemoveMember'?: (_kubeadm_ha_v1_EtcdRemoveMemberResult | null);
  'etcdMoveLeader'?: (_kubeadm_ha_v1_EtcdMoveLeaderResult | null);
  'etcdStageSnapshot'?: (_kubeadm_ha_v1_EtcdStageSnapshotResult | null);
  'parkControlPlane'?: (_kubeadm_ha_v1_ParkControlPlaneResult | null);
  'etcdRestoreMember'?: (_kubeadm_ha_v1_EtcdRestoreMemberResult | null);
  'certsCheck'?: (_kubeadm_ha_v1_CertsCheckResult | null);
  'certsRenew'?: (_kubeadm_ha_v1_CertsRenewResult | null);
  'servedCertificate'?: (_kubeadm_ha_v1_ServedCertificateResult | null);
  'installPackages'?: (_kubeadm_ha_v1_InstallPackagesResult | null);
  'kubeadmUpgrade'?: (_kubeadm_ha_v1_KubeadmUpgradeResult | null);
  'nodeVersions'?: (_kubeadm_ha_v1_NodeVersionsResult | null);
  'result'?: "preflight"|"kubeadmInit"|"createJoinToken"|"waitApiserver"|"verifyClean"|"lbStatus"|"writeFiles"|"handOverVip"|"nodeStatus"|"etcdStatus"|"etcdSnapshot"|"etcdRemoveMember"|"etcdMoveLeader"|"etcdStageSnapshot"|"parkControlPlane"|"etcdRestoreMember"|"certsCheck"|"certsRenew"|"servedCertificate"|"installPackages"|"kubeadmUpgrade"|"nodeVersions";
}

export interface TaskResult__Output {
  'taskId': (string);
  'ok': (boolean);
  'error': (_kubeadm_ha_v1_ErrorDetail__Output | null);
  'preflight'?: (_kubeadm_ha_v1_PreflightResult__Output | null);
  'kubeadmInit'?: (_kubeadm_ha_v1_KubeadmInitResult__Output | null);
  'createJoinToken'?: (_kubeadm_ha_v1_CreateJoinTokenResult__Output | null);
  'waitApiserver'?: (_kubeadm_ha_v1_WaitApiserverResult__Output | null);
  'verifyClean'?: (_kubeadm_ha_v1_VerifyCleanResult__Output | null);
  'lbStatus'?: (_kubeadm_ha_v1_LbStatusResult__Output | null);
  'writeFiles'?: (_kubeadm_ha_v1_WriteFilesResult__Output | null);
  'handOverVip'?: (_kubeadm_ha_v1_HandOverVipResult__Output | null);
  'nodeStatus'?: (_kubeadm_ha_v1_NodeStatusResult__Output | null);
  'etcdStatus'?: (_kubeadm_ha_v1_EtcdStatusResult__Output | null);
  'etcdSnapshot'?: (_kubeadm_ha_v1_EtcdSnapshotResult__Output | null);
  'etcdRemoveMember'?: (_kubeadm_ha_v1_EtcdRemoveMemberResult__Output | null);
  'etcdMoveLeader'?: (_kubeadm_ha_v1_EtcdMoveLeaderResult__Output | null);
  'etcdStageSnapshot'?: (_kubeadm_ha_v1_EtcdStageSnapshotResult__Output | null);
  'parkControlPlane'?: (_kubeadm_ha_v1_ParkControlPlaneResult__Output | null);
  'etcdRestoreMember'?: (_kubeadm_ha_v1_EtcdRestoreMemberResult__Output | null);
  'certsCheck'?: (_kubeadm_ha_v1_CertsCheckResult__Output | null);
  'certsRenew'?: (_kubeadm_ha_v1_CertsRenewResult__Output | null);
  'servedCertificate'?: (_kubeadm_ha_v1_ServedCertificateResult__Output | null);
  'installPackages'?: (_kubeadm_ha_v1_InstallPackagesResult__Output | null);
  'kubeadmUpgrade'?: (_kubeadm_ha_v1_KubeadmUpgradeResult__Output | null);
  'nodeVersions'?: (_kubeadm_ha_v1_NodeVersionsResult__Output | null);
  'result'?: "preflight"|"kubeadmInit"|"createJoinToken"|"waitApiserver"|"verifyClean"|"lbStatus"|"writeFiles"|"handOverVip"|"nodeStatus"|"etcdStatus"|"etcdSnapshot"|"etcdRemoveMember"|"etcdMoveLeader"|"etcdStageSnapshot"|"parkControlPlane"|"etcdRestoreMember"|"certsCheck"|"certsRenew"|"servedCertificate"|"installPackages"|"kubeadmUpgrade"|"nodeVersions";
}
