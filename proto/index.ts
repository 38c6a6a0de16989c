/**
 * The gRPC contracts, loaded once. The descriptor is embedded (proto/generated/descriptor.ts, produced by
 * scripts/gen-proto.sh) and loaded with proto-loader's `fromJSON`, so the single-file binaries never look for a .proto
 * file on disk. The loader options below are the ones the generated types were produced with; change both together.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType as AdminProto } from './generated/admin.js';
import type { ProtoGrpcType as AgentProto } from './generated/agent.js';
import { PROTO_DESCRIPTOR } from './generated/descriptor.js';
import type { AdminServiceClient, AdminServiceDefinition, AdminServiceHandlers } from './generated/kubeadm_ha/v1/AdminService.js';
import type { AgentServiceClient, AgentServiceDefinition, AgentServiceHandlers } from './generated/kubeadm_ha/v1/AgentService.js';
import type { Role, Role__Output } from './generated/kubeadm_ha/v1/Role.js';
import type { Task, Task__Output } from './generated/kubeadm_ha/v1/Task.js';
import type { TaskResult, TaskResult__Output } from './generated/kubeadm_ha/v1/TaskResult.js';

export const PROTO_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

type Descriptor = Parameters<typeof protoLoader.fromJSON>[0];

export const packageDefinition: protoLoader.PackageDefinition = protoLoader.fromJSON(PROTO_DESCRIPTOR as Descriptor, PROTO_LOADER_OPTIONS);

const loaded = grpc.loadPackageDefinition(packageDefinition) as unknown as AgentProto & AdminProto;
const v1 = loaded.kubeadm_ha.v1;

export const AgentService = v1.AgentService;
export const AdminService = v1.AdminService;
export const agentServiceDefinition: AgentServiceDefinition = v1.AgentService.service;
export const adminServiceDefinition: AdminServiceDefinition = v1.AdminService.service;

export type { AgentServiceClient, AgentServiceDefinition, AgentServiceHandlers, AdminServiceClient, AdminServiceDefinition, AdminServiceHandlers };

// ---- tasks: one kind per member of Task's `kind` oneof; results share the kind's name in TaskResult's `result` ----

export type TaskKind = NonNullable<Task__Output['kind']>;
type ResultKind = NonNullable<TaskResult__Output['result']>;

/** What the coordinator sends for each kind (protobuf "permissive" input types). */
export type TaskArgs = { [K in TaskKind]: NonNullable<Task[K]> };
/** What the agent receives for each kind (decoded, defaults filled). */
export type TaskArgsOutput = { [K in TaskKind]: NonNullable<Task__Output[K]> };
/** What an agent handler returns for each kind; kinds without a result message return nothing. */
export type TaskResultInput = { [K in TaskKind]: K extends ResultKind ? NonNullable<TaskResult[K]> : void };
/** What the coordinator gets back for each kind; null for kinds without a result message. */
export type TaskResultOutput = { [K in TaskKind]: K extends ResultKind ? NonNullable<TaskResult__Output[K]> : null };

interface OneofDescriptor {
  nested: { kubeadm_ha: { nested: { v1: { nested: Record<string, { oneofs?: Record<string, { oneof: string[] }> }> } } } };
}
const messages = (PROTO_DESCRIPTOR as unknown as OneofDescriptor).nested.kubeadm_ha.nested.v1.nested;

export const TASK_KINDS: readonly TaskKind[] = Object.freeze((messages['Task']?.oneofs?.['kind']?.oneof ?? []) as TaskKind[]);
const RESULT_KINDS: ReadonlySet<string> = new Set(messages['TaskResult']?.oneofs?.['result']?.oneof ?? []);

export function isTaskKind(value: string): value is TaskKind {
  return (TASK_KINDS as readonly string[]).includes(value);
}

/** Whether TaskResult has a result member for this kind. */
export function taskHasResult(kind: TaskKind): kind is TaskKind & ResultKind {
  return RESULT_KINDS.has(kind);
}

export { completeDetail, errorFromDetail, errorToDetail } from './error-detail.js';

// ---- roles: the spec says 'control-plane' | 'worker'; the wire says ROLE_* ----

export type NodeRole = 'control-plane' | 'worker';

export function roleToProto(role: NodeRole | undefined): Role__Output {
  return role === 'control-plane' ? 'ROLE_CONTROL_PLANE' : role === 'worker' ? 'ROLE_WORKER' : 'ROLE_UNSPECIFIED';
}

export function roleFromProto(role: Role__Output | Role | undefined): NodeRole | undefined {
  if (role === 'ROLE_CONTROL_PLANE' || role === 1) return 'control-plane';
  if (role === 'ROLE_WORKER' || role === 2) return 'worker';
  return undefined;
}

export type { AgentMessage, AgentMessage__Output } from './generated/kubeadm_ha/v1/AgentMessage.js';
export type { CoordinatorMessage, CoordinatorMessage__Output } from './generated/kubeadm_ha/v1/CoordinatorMessage.js';
export type { RegisterRequest, RegisterRequest__Output } from './generated/kubeadm_ha/v1/RegisterRequest.js';
export type { RegisterResponse, RegisterResponse__Output } from './generated/kubeadm_ha/v1/RegisterResponse.js';
export type { HostFacts, HostFacts__Output } from './generated/kubeadm_ha/v1/HostFacts.js';
export type { Hello, Hello__Output } from './generated/kubeadm_ha/v1/Hello.js';
export type { ErrorDetail, ErrorDetail__Output } from './generated/kubeadm_ha/v1/ErrorDetail.js';
export type { Role, Role__Output };
export type { Task, Task__Output, TaskResult, TaskResult__Output };
export type { DeployEvent, DeployEvent__Output } from './generated/kubeadm_ha/v1/DeployEvent.js';
export type { DeployRequest, DeployRequest__Output } from './generated/kubeadm_ha/v1/DeployRequest.js';
export type { VerifyReport, VerifyReport__Output } from './generated/kubeadm_ha/v1/VerifyReport.js';
