/**
 * AdminService: what coordinatorctl asks of the coordinator. Cluster-changing calls run as operations (one at a
 * time, followable); read-only calls answer from the state store and the live sessions.
 */
import type * as grpc from '@grpc/grpc-js';
import { renderAgentConfig } from '../../core/agent-config.js';
import { expiresWithin } from '../../core/cert-lifetime.js';
import { KubeadmHaError, PreconditionError, SpecError } from '../../core/errors.js';
import { controlPlaneEndpoint } from '../../core/plan.js';
import { sameSpec, type ClusterSpec } from '../../core/spec.js';
import { dns1123LabelProblem, loadSpec } from '../../core/validate.js';
import type { AdminServiceHandlers } from '../../proto/generated/kubeadm_ha/v1/AdminService.js';
import type { DeployEvent } from '../../proto/generated/kubeadm_ha/v1/DeployEvent.js';
import { roleFromProto, roleToProto } from '../../proto/index.js';
import { startAddNode } from '../actions/add-node.js';
import { assertClusterName, clusterContext } from '../actions/cluster-context.js';
import { ADD_NODE, DEPLOY } from '../actions/deploy.js';
import { CERTS_RENEW } from '../actions/certs-renew.js';
import { ETCD_RESTORE } from '../actions/etcd-restore.js';
import { REMOVE_NODE } from '../actions/remove-node.js';
import { RESET } from '../actions/reset.js';
import { UPGRADE } from '../actions/upgrade.js';
import { VERIFY } from '../actions/verify.js';
import { finishRecord, interruptedOperation, startRecorded, takeTurn } from '../actions/operation-record.js';
import { startCertsRenew } from '../actions/certs-renew.js';
import { startUpgrade } from '../actions/upgrade.js';
import { startEtcdRestore } from '../actions/etcd-restore.js';
import { certsCheck } from './certs.js';
import { startRemoveNode } from '../actions/remove-node.js';
import { startReset } from '../actions/reset.js';
import { runVerify } from '../actions/verify.js';
import type { PhaseRecord } from '../state/records.js';
import { newFindings } from '../phases/verify/verify-report.js';
import { storedSpec, type CoordinatorRuntime } from '../runtime.js';
import type { OperationRecord } from '../state/store.js';
import { tokenRole } from '../tokens.js';
import { dryRunPhases, runAction } from '../workflow/engine.js';
import { UNRECORDED } from '../workflow/phase.js';
import { approveNode, pendingReason } from './auto-join.js';
import { etcdStatus, takeSnapshot } from './etcd.js';
import type { Operation } from './operations.js';

export interface AdminService {
  readonly handlers: Partial<AdminServiceHandlers>;
  /** The operation (deploy, add-node, remove-node, reset) a coordinator stop cut off continues now, with nobody attached. */
  resumeInterrupted(): void;
  stop(): void;
}

function stream(call: grpc.ServerWritableStream<unknown, DeployEvent>, op: Operation): void {
  let open = true;
  call.on('cancelled', () => (open = false));
  void op
    .follow((e) => {
      if (open) call.write(e);
    })
    .then(() => {
      if (open) call.end();
    });
}

/**
 * Where each recorded phase sorts in `status`: every action's own record, then its phases in the order they run.
 * Deploy's last phase, verify, runs the verify action's checks, whose records follow it. Built from the actions
 * themselves, so a phase added to one sorts where it runs without a list to keep in step.
 */
const PHASE_ORDER: ReadonlyMap<string, number> = (() => {
  const order = new Map<string, number>();
  for (const action of [DEPLOY, VERIFY, ADD_NODE, REMOVE_NODE, UPGRADE, CERTS_RENEW, ETCD_RESTORE, RESET]) {
    for (const id of [action.kind, ...action.phases.map((p) => p.id)]) if (!order.has(id)) order.set(id, order.size);
  }
  return order;
})();

/** Phase records in the order they run (the store lists them by key, i.e. by name); ones no action names go last, by time. */
export function inRunOrder(records: readonly PhaseRecord[]): PhaseRecord[] {
  const rank = (r: PhaseRecord) => PHASE_ORDER.get(r.phase) ?? PHASE_ORDER.size;
  const time = (r: PhaseRecord) => r.startedAt ?? r.finishedAt ?? '';
  return [...records].sort((a, b) => rank(a) - rank(b) || time(a).localeCompare(time(b)) || a.phase.localeCompare(b.phase));
}

export function createAdminService(rt: CoordinatorRuntime): AdminService {
  const abort = new AbortController();

  const contextOf = (spec: ClusterSpec, registryConfigJson: string | undefined, emit: (e: DeployEvent) => void, force = false) =>
    clusterContext(rt, spec, emit, { ...(registryConfigJson !== undefined ? { registryConfigJson } : {}), signal: abort.signal, force });

  /** The deploy itself: run the phases under the action's own record. Resumable from the stored spec. */
  const deploy = async (spec: ClusterSpec, registryConfigJson: string | undefined, emit: (e: DeployEvent) => void, force: boolean) => {
    const result = await runAction(DEPLOY, contextOf(spec, registryConfigJson, emit, force), spec.name);
    emit({
      phase: 'summary',
      message: result.ran.length === 0 ? 'nothing to do: the cluster already matches the spec' : `done: ${result.ran.join(', ')}`,
      level: 'LOG_LEVEL_INFO',
    });
  };

  /** What the running deploy was started with: a second `deploy -f` attaches only when it asks for the same. */
  let deploying: { op: Operation; spec: ClusterSpec; registry: string | undefined } | undefined;

  const startDeploy = (spec: ClusterSpec, registryConfigJson: string | undefined, force = false) => {
    const op = startRecorded(rt, { kind: 'deploy', key: spec.name, signal: abort.signal, force }, async (emit) => {
      // Stored before any phase runs, so a coordinator restarted mid-deploy resumes this spec.
      await Promise.all([rt.state.spec.put(spec), rt.writeRegistryConfig(registryConfigJson)]);
      await deploy(spec, registryConfigJson, emit, force);
    });
    if (deploying?.op !== op) deploying = { op, spec, registry: registryConfigJson };
    return op;
  };

  /** Runs again the operation `record` names, past the checks it passed when it started; its phases ask reality. */
  const resume = async (record: OperationRecord): Promise<Operation> => {
    switch (record.kind) {
      case 'deploy': {
        const spec = await storedSpec(rt);
        if (!spec) throw new PreconditionError('the interrupted deploy has no stored spec to resume with');
        return startDeploy(spec, await rt.readRegistryConfig(), record.force === true);
      }
      case 'add-node':
        return startAddNode(rt, '', record.key, { signal: abort.signal, force: record.force === true });
      case 'remove-node':
        return startRemoveNode(rt, record.key, { signal: abort.signal, force: record.force === true });
      case 'reset':
        return startReset(rt, { signal: abort.signal });
      case 'etcd-restore':
        return startEtcdRestore(rt, record.key, { confirmed: true, signal: abort.signal });
      case 'upgrade':
        return startUpgrade(rt, record.key, { signal: abort.signal, force: record.force === true });
      case 'certs-renew':
        return startCertsRenew(rt, record.key === 'all' ? '' : record.key, { signal: abort.signal, force: record.force === true });
    }
  };

  const handlers: Partial<AdminServiceHandlers> = {
    async UploadTrust(_call, callback) {
      if (!rt.uploadTrust) {
        throw new PreconditionError(
          'this coordinator runs its own embedded NATS, which no standby can share; standby coordinators need a NATS cluster they all use (--nats-url)',
        );
      }
      const sealed = await rt.uploadTrust();
      rt.logger.info({ expires: sealed.expiresAt }, 'trust bundle uploaded for a standby coordinator');
      callback(null, { key: sealed.key, expires: sealed.expiresAt, caPin: rt.caPin });
    },
    async EtcdStatus(_call, callback) {
      const { assessment, skipped } = await etcdStatus(rt, abort.signal);
      callback(null, {
        members: assessment.members.map((m) => ({ ...m, alarms: [...m.alarms] })),
        problems: [...assessment.problems],
        warnings: [...assessment.warnings],
        healthy: assessment.healthy,
        skipped,
      });
    },

    async EtcdSnapshot(call, callback) {
      const taken = await takeSnapshot(rt, { keep: call.request.keep, signal: abort.signal });
      callback(null, { ...taken, pruned: [...taken.pruned] });
    },

    async Upgrade(call) {
      stream(call, await startUpgrade(rt, call.request.version, { dryRun: call.request.dryRun, signal: abort.signal, force: call.request.force }));
    },

    async CertsRenew(call) {
      stream(call, await startCertsRenew(rt, call.request.nodeName, { dryRun: call.request.dryRun, signal: abort.signal, force: call.request.force }));
    },

    async CertsCheck(_call, callback) {
      callback(null, await certsCheck(rt, abort.signal));
    },

    async EtcdRestore(call) {
      stream(call, await startEtcdRestore(rt, call.request.path, { confirmed: call.request.confirmed, signal: abort.signal }));
    },

    async Verify(call, callback) {
      const spec = await storedSpec(rt);
      if (!spec) throw new PreconditionError('no cluster has been deployed yet: run coordinatorctl deploy -f cluster.yaml first');
      const ctx = clusterContext(rt, spec, () => undefined, { component: 'verify' });
      const report = await runVerify({
        ...ctx,
        progress: UNRECORDED,
        failover: call.request.failover,
        registered: async () => (await rt.registry.list()).map((a) => a.name),
        connected: () => rt.hub.connectedAgents().map((a) => a.name),
        runningOperation: () => rt.operations.running()?.kind,
        report: newFindings(),
      });
      callback(null, { ...report, rows: [...report.rows] });
    },
    async Deploy(call) {
      const running = rt.operations.running();
      if (running?.kind === 'deploy' && !call.request.specYaml) return stream(call, running);
      const { spec } = loadSpec(call.request.specYaml, 'cluster.yaml');
      assertClusterName(spec, rt.clusterName);
      const registry = call.request.registryConfigJson.length > 0 ? Buffer.from(call.request.registryConfigJson).toString('utf8') : undefined;
      if (call.request.dryRun) {
        return stream(
          call,
          rt.operations.dryRun('deploy', spec.name, (emit) =>
            dryRunPhases(DEPLOY.phases, contextOf(spec, registry, emit, call.request.force)).then(() => undefined),
          ),
        );
      }
      // Refused while another operation runs or waits to resume; a deploy cut off by a restart is superseded by this
      // one (both reconcile to a spec, and this one's is the operator's latest word).
      const turn = await takeTurn(rt, 'deploy', spec.name);
      if (turn.kind === 'attach') {
        // The same command again (a retry, a second terminal): follow the running deploy. A different cluster.yaml
        // must not be stored under a deploy that runs the old one.
        if (deploying?.op === turn.op && (!sameSpec(deploying.spec, spec) || deploying.registry !== registry)) {
          throw new PreconditionError(
            `a deploy of ${spec.name} is running with a different cluster.yaml${deploying.registry !== registry ? ' (or registry credentials)' : ''}; wait for it to finish (coordinatorctl status), then run deploy again with the new file`,
          );
        }
        return stream(call, turn.op);
      }
      stream(call, startDeploy(spec, registry, call.request.force));
    },

    async Status(_call, callback) {
      const spec = await storedSpec(rt);
      const phases = inRunOrder([...(await rt.state.phases.list()).values()].map((v) => v.value));
      const set = await rt.backends.current();
      const agents = await rt.registry.list();
      const record = (await rt.state.operation.get())?.value;
      const operations = [
        ...(record?.status === 'running'
          ? [
              {
                kind: record.kind,
                key: record.key,
                status: 'running',
                startedAt: record.startedAt,
                finishedAt: '',
                error: '',
                automatic: record.automatic === true,
              },
            ]
          : []),
        ...(record?.history ?? []).map((h) => ({ ...h, error: h.error ?? '', automatic: h.automatic === true })),
      ];
      callback(null, {
        clusterName: rt.clusterName,
        operations,
        specPresent: spec !== undefined,
        phases: phases.map((p) => ({
          name: p.phase,
          state:
            p.status === 'running'
              ? 'PHASE_STATE_RUNNING'
              : p.status === 'failed'
                ? 'PHASE_STATE_FAILED'
                : p.outcome === 'skipped'
                  ? 'PHASE_STATE_SKIPPED'
                  : 'PHASE_STATE_DONE',
          message: p.message ?? p.error ?? '',
          updated: p.finishedAt ?? p.startedAt ?? '',
        })),
        lbBackendVersion: set.version,
        vip: spec ? `${spec.controlPlaneEndpoint.vip} (${controlPlaneEndpoint(spec)})` : '',
        agentsRegistered: agents.length,
        agentsConnected: rt.hub.connectedAgents().length,
        certificates: ((await rt.coordinatorCertificates?.()) ?? []).map((c) => ({
          name: c.name,
          notAfter: c.notAfter.toISOString(),
          expiringSoon: expiresWithin(c.notAfter, new Date()),
        })),
      });
    },

    async Nodes(_call, callback) {
      const agents = await rt.registry.list();
      const spec = await storedSpec(rt);
      const connected = new Map(rt.hub.connectedAgents().map((a) => [a.name, a]));
      const applied = rt.hub.appliedLbVersions();
      const nodes = [];
      for (const agent of agents) {
        const record = await rt.progress.node(agent.name);
        const live = connected.get(agent.name);
        const pending = await pendingReason(rt, spec, agent.name);
        nodes.push({
          name: agent.name,
          role: roleToProto(record?.role ?? spec?.nodes.find((n) => n.name === agent.name)?.role ?? agent.role),
          connected: live !== undefined,
          joined: record?.joined ?? false,
          agentVersion: live?.agentVersion ?? agent.agentVersion,
          appliedLbVersion: applied.get(agent.name) ?? 0,
          registered: agent.registeredAt,
          lastSeen: live?.lastSeen.toISOString() ?? '',
          facts: live?.facts ?? agent.facts,
          pending: pending !== undefined,
          pendingReason: pending ?? '',
          certNotAfter: agent.certNotAfter,
          certExpiringSoon: expiresWithin(agent.certNotAfter, new Date()),
        });
      }
      callback(null, { nodes, lbBackendVersion: (await rt.backends.current()).version });
    },

    async AddNode(call) {
      stream(
        call,
        await startAddNode(rt, call.request.specYaml, call.request.nodeName, { dryRun: call.request.dryRun, signal: abort.signal, force: call.request.force }),
      );
    },

    async RemoveNode(call) {
      stream(call, await startRemoveNode(rt, call.request.nodeName, { dryRun: call.request.dryRun, signal: abort.signal, force: call.request.force }));
    },

    async Reset(call) {
      stream(call, await startReset(rt, { dryRun: call.request.dryRun, signal: abort.signal }));
    },

    async CreateToken(call, callback) {
      const role = roleFromProto(call.request.role) ?? 'worker';
      const minted = await rt.tokens.mint({
        ...(call.request.ttlSeconds > 0 ? { ttlMs: call.request.ttlSeconds * 1000 } : {}),
        ...(call.request.uses > 0 ? { uses: call.request.uses } : {}),
        role,
        ...(call.request.nodeName ? { nodeName: call.request.nodeName } : {}),
        ...(call.request.description ? { description: call.request.description } : {}),
      });
      const r = minted.record;
      rt.logger.info(
        { tokenId: r.id, expires: r.expiresAt, role, uses: r.maxUses, ...(r.nodeName ? { nodeName: r.nodeName } : {}) },
        'bootstrap token created',
      );
      callback(null, {
        token: minted.token,
        caPin: rt.caPin,
        coordinatorAddress: rt.settings.coordinators ?? rt.settings.advertise,
        expires: r.expiresAt,
        id: r.id,
        uses: r.maxUses ?? 1,
        role: roleToProto(role),
      });
    },

    async ListTokens(_call, callback) {
      const tokens = await rt.tokens.list();
      callback(null, {
        tokens: tokens.map((t) => ({
          id: t.id,
          role: roleToProto(tokenRole(t)),
          nodeName: t.nodeName ?? '',
          uses: t.uses,
          maxUses: t.maxUses ?? 1,
          expires: t.expiresAt,
          created: t.createdAt,
          description: t.description ?? '',
        })),
      });
    },

    async DeleteToken(call, callback) {
      callback(null, { deleted: await rt.tokens.delete(call.request.id) });
    },

    async ApproveNode(call) {
      stream(call, await approveNode(rt, call.request.nodeName));
    },

    async ForgetNode(call, callback) {
      const name = call.request.nodeName;
      const problem = dns1123LabelProblem(name);
      if (problem) throw new SpecError('nodes forget', [{ path: 'NAME', message: problem }]);
      // A joined node has our files and a kubeadm membership on its host: remove-node cleans those and then revokes.
      // One in the spec but not joined yet (it registered with the wrong token, say) has nothing to clean.
      const spec = await storedSpec(rt);
      if (spec?.nodes.some((n) => n.name === name) && (await rt.progress.node(name))?.joined) {
        throw new PreconditionError(`${name} is a joined node of the deployed spec; run \`coordinatorctl remove-node ${name}\` (it also cleans the host)`);
      }
      const running = rt.operations.running();
      if (running?.key === name) throw new PreconditionError(`${running.kind} of ${name} is running; wait for it (coordinatorctl status), then forget it`);
      // Nor under one a restart cut off: a resumed remove-node still needs the node's records until its last phase.
      const interrupted = await interruptedOperation(rt);
      if (interrupted?.key === name)
        throw new PreconditionError(`${interrupted.kind} of ${name} is resuming; wait for it (coordinatorctl status), then forget it`);
      await rt.progress.deleteNode(name);
      callback(null, { forgotten: await rt.revokeAgent(name, 'forgotten by an operator') });
    },

    async JoinCommand(call, callback) {
      const role = roleFromProto(call.request.role) ?? 'worker';
      const minted = await rt.tokens.mint({
        ...(call.request.ttlSeconds > 0 ? { ttlMs: call.request.ttlSeconds * 1000 } : {}),
        role,
        // A join command is for one host: its token is bound to the name when one is given.
        ...(call.request.nodeName ? { nodeName: call.request.nodeName } : {}),
        description: `join-command ${call.request.nodeName}`.trim(),
      });
      const config = renderAgentConfig({
        coordinator: rt.settings.coordinators ?? rt.settings.advertise,
        token: minted.token,
        caCertHash: rt.caPin,
        role,
        ...(call.request.nodeName ? { nodeName: call.request.nodeName } : {}),
      });
      const command = `install -d -m 0700 /etc/kubeadm-ha && umask 077 && cat > /etc/kubeadm-ha/agent.yaml <<'EOF'\n${config}EOF\nsystemctl enable --now kubeadm-ha-agent`;
      callback(null, {
        agentConfigYaml: config,
        command,
        token: minted.token,
        caPin: rt.caPin,
        coordinatorAddress: rt.settings.coordinators ?? rt.settings.advertise,
        expires: minted.record.expiresAt,
      });
    },
  };

  return {
    handlers,
    resumeInterrupted() {
      void (async () => {
        const record = await interruptedOperation(rt);
        if (!record) {
          // A deploy cut off by a coordinator older than the operation record left only its action record.
          const legacy = await rt.state.phases.get(DEPLOY.kind);
          const spec = await storedSpec(rt);
          if ((await rt.state.operation.get()) !== undefined || legacy?.value.status !== 'running' || !spec) return;
          rt.logger.info({ cluster: spec.name }, 'resuming the deploy that was running when the coordinator stopped');
          await startDeploy(spec, await rt.readRegistryConfig()).done;
          return;
        }
        rt.logger.info({ kind: record.kind, key: record.key }, `resuming the ${record.kind} that was running when the coordinator stopped`);
        let op: Operation;
        try {
          op = await resume(record);
        } catch (err) {
          // It cannot run again as it was started (its spec is gone, say): it ends here, and stops holding the turn.
          await finishRecord(rt, record, 'failed', `not resumed: ${err instanceof Error ? err.message : String(err)}`);
          throw err;
        }
        await op.done;
      })().catch((err: unknown) =>
        rt.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'cannot resume the operation that was running when the coordinator stopped'),
      );
    },
    stop() {
      abort.abort(new KubeadmHaError('the coordinator is stopping'));
    },
  };
}
