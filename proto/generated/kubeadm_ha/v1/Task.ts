// Original file: proto/kubeadm_ha/v1/agent.proto

import type { Preflight as _kubeadm_ha_v1_Preflight, Preflight__Output as _kubeadm_ha_v1_Preflight__Output } from '../../kubeadm_ha/v1/Preflight.js';
import type { WriteFiles as _kubeadm_ha_v1_WriteFiles, WriteFiles__Output as _kubeadm_ha_v1_WriteFiles__Output } from '../../kubeadm_ha/v1/WriteFiles.js';
import type { KubeadmInit as _kubeadm_ha_v1_KubeadmInit, KubeadmInit__Output as _kubeadm_ha_v1_KubeadmInit__Output } from '../../kubeadm_ha/v1/KubeadmInit.js';
import type { UploadCerts as _kubeadm_ha_v1_UploadCerts, UploadCerts__Output as _kubeadm_ha_v1_UploadCerts__Output } from '../../kubeadm_ha/v1/UploadCerts.js';
import type { CreateJoinToken as _kubeadm_ha_v1_CreateJoinToken, CreateJoinToken__Output as _kubeadm_ha_v1_CreateJoinToken__Output } from '../../kubeadm_ha/v1/CreateJoinToken.js';
import type { DeleteToken as _kubeadm_ha_v1_DeleteToken, DeleteToken__Output as _kubeadm_ha_v1_DeleteToken__Output } from '../../kubeadm_ha/v1/DeleteToken.js';
import type { DeleteCertsSecret as _kubeadm_ha_v1_DeleteCertsSecret, DeleteCertsSecret__Output as _kubeadm_ha_v1_DeleteCertsSecret__Output } from '../../kubeadm_ha/v1/DeleteCertsSecret.js';
import type { KubeadmJoin as _kubeadm_ha_v1_KubeadmJoin, KubeadmJoin__Output as _kubeadm_ha_v1_KubeadmJoin__Output } from '../../kubeadm_ha/v1/KubeadmJoin.js';
import type { WaitApiserver as _kubeadm_ha_v1_WaitApiserver, WaitApiserver__Output as _kubeadm_ha_v1_WaitApiserver__Output } from '../../kubeadm_ha/v1/WaitApiserver.js';
import type { KubectlDrainDelete as _kubeadm_ha_v1_KubectlDrainDelete, KubectlDrainDelete__Output as _kubeadm_ha_v1_KubectlDrainDelete__Output } from '../../kubeadm_ha/v1/KubectlDrainDelete.js';
import type { KubeadmReset as _kubeadm_ha_v1_KubeadmReset, KubeadmReset__Output as _kubeadm_ha_v1_KubeadmReset__Output } from '../../kubeadm_ha/v1/KubeadmReset.js';
import type { StopLoadBalancer as _kubeadm_ha_v1_StopLoadBalancer, StopLoadBalancer__Output as _kubeadm_ha_v1_StopLoadBalancer__Output } from '../../kubeadm_ha/v1/StopLoadBalancer.js';
import type { StartLoadBalancer as _kubeadm_ha_v1_StartLoadBalancer, StartLoadBalancer__Output as _kubeadm_ha_v1_StartLoadBalancer__Output } from '../../kubeadm_ha/v1/StartLoadBalancer.js';
import type { RemoveVip as _kubeadm_ha_v1_RemoveVip, RemoveVip__Output as _kubeadm_ha_v1_RemoveVip__Output } from '../../kubeadm_ha/v1/RemoveVip.js';
import type { SetVipTrack as _kubeadm_ha_v1_SetVipTrack, SetVipTrack__Output as _kubeadm_ha_v1_SetVipTrack__Output } from '../../kubeadm_ha/v1/SetVipTrack.js';
import type { VerifyClean as _kubeadm_ha_v1_VerifyClean, VerifyClean__Output as _kubeadm_ha_v1_VerifyClean__Output } from '../../kubeadm_ha/v1/VerifyClean.js';
import type { LbStatus as _kubeadm_ha_v1_LbStatus, LbStatus__Output as _kubeadm_ha_v1_LbStatus__Output } from '../../kubeadm_ha/v1/LbStatus.js';
import type { HandOverVip as _kubeadm_ha_v1_HandOverVip, HandOverVip__Output as _kubeadm_ha_v1_HandOverVip__Output } from '../../kubeadm_ha/v1/HandOverVip.js';
import type { NodeStatus as _kubeadm_ha_v1_NodeStatus, NodeStatus__Output as _kubeadm_ha_v1_NodeStatus__Output } from '../../kubeadm_ha/v1/NodeStatus.js';
import type { EtcdStatus as _kubeadm_ha_v1_EtcdStatus, EtcdStatus__Output as _kubeadm_ha_v1_EtcdStatus__Output } from '../../kubeadm_ha/v1/EtcdStatus.js';
import type { EtcdSnapshot as _kubeadm_ha_v1_EtcdSnapshot, EtcdSnapshot__Output as _kubeadm_ha_v1_EtcdSnapshot__Output } from '../../kubeadm_ha/v1/EtcdSnapshot.js';
import type { EtcdRemoveMember as _kubeadm_ha_v1_EtcdRemoveMember, EtcdRemoveMember__Output as _kubeadm_ha_v1_EtcdRemoveMember__Output } from '../../kubeadm_ha/v1/EtcdRemoveMember.js';
import type { EtcdMoveLeader as _kubeadm_ha_v1_EtcdMoveLeader, EtcdMoveLeader__Output as _kubeadm_ha_v1_EtcdMoveLeader__Output } from '../../kubeadm_ha/v1/EtcdMoveLeader.js';

export interface Task {
  'taskId'?: (string);
  'timeoutMs'?: (number);
  'preflight'?: (_kubeadm_ha_v1_Preflight | null);
  'writeFiles'?: (_kubeadm_ha_v1_WriteFiles | null);
  'kubeadmInit'?: (_kubeadm_ha_v1_KubeadmInit | null);
  'uploadCerts'?: (_kubeadm_ha_v1_UploadCerts | null);
  'createJoinToken'?: (_kubeadm_ha_v1_CreateJoinToken | null);
  'deleteToken'?: (_kubeadm_ha_v1_DeleteToken | null);
  'deleteCertsSecret'?: (_kubeadm_ha_v1_DeleteCertsSecret | null);
  'kubeadmJoin'?: (_kubeadm_ha_v1_KubeadmJoin | null);
  'waitApiserver'?: (_kubeadm_ha_v1_WaitApiserver | null);
  'kubectlDrainDelete'?: (_kubeadm_ha_v1_KubectlDrainDelete | null);
  'kubeadmReset'?: (_kubeadm_ha_v1_KubeadmReset | null);
  'stopLoadBalancer'?: (_kubeadm_ha_v1_StopLoadBalancer | null);
  'startLoadBalancer'?: (_kubeadm_ha_v1_StartLoadBalancer | null);
  'removeVip'?: (_kubeadm_ha_v1_RemoveVip | null);
  'setVipTrack'?: (_kubeadm_ha_v1_SetVipTrack | null);
  'verifyClean'?: (_kubeadm_ha_v1_VerifyClean | null);
  'lbStatus'?: (_kubeadm_ha_v1_LbStatus | null);
  'handOverVip'?: (_kubeadm_ha_v1_HandOverVip | null);
  'nodeStatus'?: (_kubeadm_ha_v1_NodeStatus | null);
  'etcdStatus'?: (_kubeadm_ha_v1_EtcdStatus | null);
  'etcdSnapshot'?: (_kubeadm_ha_v1_EtcdSnapshot | null);
  'etcdRemoveMember'?: (_kubeadm_ha_v1_EtcdRemoveMember | null);
  'etcdMoveLeader'?: (_kubeadm_ha_v1_EtcdMoveLeader | null);
  'kind'?: "preflight"|"writeFiles"|"kubeadmInit"|"uploadCerts"|"createJoinToken"|"deleteToken"|"deleteCertsSecret"|"kubeadmJoin"|"waitApiserver"|"kubectlDrainDelete"|"kubeadmReset"|"stopLoadBalancer"|"startLoadBalancer"|"removeVip"|"setVipTrack"|"verifyClean"|"lbStatus"|"handOverVip"|"nodeStatus"|"etcdStatus"|"etcdSnapshot"|"etcdRemoveMember"|"etcdMoveLeader";
}

export interface Task__Output {
  'taskId': (string);
  'timeoutMs': (number);
  'preflight'?: (_kubeadm_ha_v1_Preflight__Output | null);
  'writeFiles'?: (_kubeadm_ha_v1_WriteFiles__Output | null);
  'kubeadmInit'?: (_kubeadm_ha_v1_KubeadmInit__Output | null);
  'uploadCerts'?: (_kubeadm_ha_v1_UploadCerts__Output | null);
  'createJoinToken'?: (_kubeadm_ha_v1_CreateJoinToken__Output | null);
  'deleteToken'?: (_kubeadm_ha_v1_DeleteToken__Output | null);
  'deleteCertsSecret'?: (_kubeadm_ha_v1_DeleteCertsSecret__Output | null);
  'kubeadmJoin'?: (_kubeadm_ha_v1_KubeadmJoin__Output | null);
  'waitApiserver'?: (_kubeadm_ha_v1_WaitApiserver__Output | null);
  'kubectlDrainDelete'?: (_kubeadm_ha_v1_KubectlDrainDelete__Output | null);
  'kubeadmReset'?: (_kubeadm_ha_v1_KubeadmReset__Output | null);
  'stopLoadBalancer'?: (_kubeadm_ha_v1_StopLoadBalancer__Output | null);
  'startLoadBalancer'?: (_kubeadm_ha_v1_StartLoadBalancer__Output | null);
  'removeVip'?: (_kubeadm_ha_v1_RemoveVip__Output | null);
  'setVipTrack'?: (_kubeadm_ha_v1_SetVipTrack__Output | null);
  'verifyClean'?: (_kubeadm_ha_v1_VerifyClean__Output | null);
  'lbStatus'?: (_kubeadm_ha_v1_LbStatus__Output | null);
  'handOverVip'?: (_kubeadm_ha_v1_HandOverVip__Output | null);
  'nodeStatus'?: (_kubeadm_ha_v1_NodeStatus__Output | null);
  'etcdStatus'?: (_kubeadm_ha_v1_EtcdStatus__Output | null);
  'etcdSnapshot'?: (_kubeadm_ha_v1_EtcdSnapshot__Output | null);
  'etcdRemoveMember'?: (_kubeadm_ha_v1_EtcdRemoveMember__Output | null);
  'etcdMoveLeader'?: (_kubeadm_ha_v1_EtcdMoveLeader__Output | null);
  'kind'?: "preflight"|"writeFiles"|"kubeadmInit"|"uploadCerts"|"createJoinToken"|"deleteToken"|"deleteCertsSecret"|"kubeadmJoin"|"waitApiserver"|"kubectlDrainDelete"|"kubeadmReset"|"stopLoadBalancer"|"startLoadBalancer"|"removeVip"|"setVipTrack"|"verifyClean"|"lbStatus"|"handOverVip"|"nodeStatus"|"etcdStatus"|"etcdSnapshot"|"etcdRemoveMember"|"etcdMoveLeader";
}
