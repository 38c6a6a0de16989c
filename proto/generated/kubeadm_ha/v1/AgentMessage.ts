// Original file: proto/kubeadm_ha/v1/agent.proto

import type { Hello as _kubeadm_ha_v1_Hello, Hello__Output as _kubeadm_ha_v1_Hello__Output } from '../../kubeadm_ha/v1/Hello.js';
import type { TaskProgress as _kubeadm_ha_v1_TaskProgress, TaskProgress__Output as _kubeadm_ha_v1_TaskProgress__Output } from '../../kubeadm_ha/v1/TaskProgress.js';
import type { TaskResult as _kubeadm_ha_v1_TaskResult, TaskResult__Output as _kubeadm_ha_v1_TaskResult__Output } from '../../kubeadm_ha/v1/TaskResult.js';
import type { LbApplied as _kubeadm_ha_v1_LbApplied, LbApplied__Output as _kubeadm_ha_v1_LbApplied__Output } from '../../kubeadm_ha/v1/LbApplied.js';
import type { Heartbeat as _kubeadm_ha_v1_Heartbeat, Heartbeat__Output as _kubeadm_ha_v1_Heartbeat__Output } from '../../kubeadm_ha/v1/Heartbeat.js';
import type { RenewCertificate as _kubeadm_ha_v1_RenewCertificate, RenewCertificate__Output as _kubeadm_ha_v1_RenewCertificate__Output } from '../../kubeadm_ha/v1/RenewCertificate.js';
import type { AgentStatus as _kubeadm_ha_v1_AgentStatus, AgentStatus__Output as _kubeadm_ha_v1_AgentStatus__Output } from '../../kubeadm_ha/v1/AgentStatus.js';

export interface AgentMessage {
  'hello'?: (_kubeadm_ha_v1_Hello | null);
  'progress'?: (_kubeadm_ha_v1_TaskProgress | null);
  'result'?: (_kubeadm_ha_v1_TaskResult | null);
  'lbApplied'?: (_kubeadm_ha_v1_LbApplied | null);
  'heartbeat'?: (_kubeadm_ha_v1_Heartbeat | null);
  'renewCertificate'?: (_kubeadm_ha_v1_RenewCertificate | null);
  'status'?: (_kubeadm_ha_v1_AgentStatus | null);
  'msg'?: "hello"|"progress"|"result"|"lbApplied"|"heartbeat"|"renewCertificate"|"status";
}

export interface AgentMessage__Output {
  'hello'?: (_kubeadm_ha_v1_Hello__Output | null);
  'progress'?: (_kubeadm_ha_v1_TaskProgress__Output | null);
  'result'?: (_kubeadm_ha_v1_TaskResult__Output | null);
  'lbApplied'?: (_kubeadm_ha_v1_LbApplied__Output | null);
  'heartbeat'?: (_kubeadm_ha_v1_Heartbeat__Output | null);
  'renewCertificate'?: (_kubeadm_ha_v1_RenewCertificate__Output | null);
  'status'?: (_kubeadm_ha_v1_AgentStatus__Output | null);
  'msg'?: "hello"|"progress"|"result"|"lbApplied"|"heartbeat"|"renewCertificate"|"status";
}
