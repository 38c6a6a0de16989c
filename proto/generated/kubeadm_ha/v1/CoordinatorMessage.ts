// Original file: proto/kubeadm_ha/v1/agent.proto

import type { Task as _kubeadm_ha_v1_Task, Task__Output as _kubeadm_ha_v1_Task__Output } from '../../kubeadm_ha/v1/Task.js';
import type { Cancel as _kubeadm_ha_v1_Cancel, Cancel__Output as _kubeadm_ha_v1_Cancel__Output } from '../../kubeadm_ha/v1/Cancel.js';
import type { Ping as _kubeadm_ha_v1_Ping, Ping__Output as _kubeadm_ha_v1_Ping__Output } from '../../kubeadm_ha/v1/Ping.js';
import type { NatsEndpoint as _kubeadm_ha_v1_NatsEndpoint, NatsEndpoint__Output as _kubeadm_ha_v1_NatsEndpoint__Output } from '../../kubeadm_ha/v1/NatsEndpoint.js';
import type { CertificateIssued as _kubeadm_ha_v1_CertificateIssued, CertificateIssued__Output as _kubeadm_ha_v1_CertificateIssued__Output } from '../../kubeadm_ha/v1/CertificateIssued.js';

export interface CoordinatorMessage {
  'task'?: (_kubeadm_ha_v1_Task | null);
  'cancel'?: (_kubeadm_ha_v1_Cancel | null);
  'ping'?: (_kubeadm_ha_v1_Ping | null);
  'natsEndpoint'?: (_kubeadm_ha_v1_NatsEndpoint | null);
  'certificateIssued'?: (_kubeadm_ha_v1_CertificateIssued | null);
  'msg'?: "task"|"cancel"|"ping"|"natsEndpoint"|"certificateIssued";
}

export interface CoordinatorMessage__Output {
  'task'?: (_kubeadm_ha_v1_Task__Output | null);
  'cancel'?: (_kubeadm_ha_v1_Cancel__Output | null);
  'ping'?: (_kubeadm_ha_v1_Ping__Output | null);
  'natsEndpoint'?: (_kubeadm_ha_v1_NatsEndpoint__Output | null);
  'certificateIssued'?: (_kubeadm_ha_v1_CertificateIssued__Output | null);
  'msg'?: "task"|"cancel"|"ping"|"natsEndpoint"|"certificateIssued";
}
