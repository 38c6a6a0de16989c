/**
 * The agent's answer to each task kind: typed arguments in, typed result out, every side effect through HostOps.
 * The coordinator never sends a command line; the agent builds each one itself from core/.
 */
import type { TaskHandlers } from './session-client.js';
import type { HostOps } from './hostops.js';
import { SYSTEMD_UNIT_DIRS } from '../core/host/paths.js';
import type { HostFactsData } from './facts.js';
import {
  drainAndDeleteNode,
  createJoinToken,
  deleteCertsSecret,
  deleteToken,
  kubeadmInit,
  kubeadmJoin,
  kubeadmReset,
  nodeStatus,
  uploadCerts,
} from './tasks/kubeadm.js';
import { etcdMoveLeader, etcdRemoveMember, etcdSnapshot, etcdStatus } from './tasks/etcd.js';
import { certsCheck, certsRenew, servedCertificate } from './tasks/certs.js';
import { installPackages, kubeadmUpgrade, kubectlDrain, kubectlUncordon, nodeVersions, restartKubelet } from './tasks/upgrade.js';
import { etcdRestoreMember, etcdStageSnapshot, parkControlPlane, type StagingState } from './tasks/etcd-restore.js';
import { readLbServers, removeVip, setVipTrack, startLoadBalancer, stopLoadBalancer, verifyClean } from './tasks/load-balancer.js';
import { runPreflight } from './tasks/preflight.js';
import { handOverVip } from './tasks/vip-handover.js';
import { waitForApiserver } from './tasks/wait-apiserver.js';
import { writeFiles } from './tasks/write-files.js';

export interface TaskHandlerDeps {
  readonly host: HostOps;
  readonly gatherFacts: () => Promise<HostFactsData>;
  /** The backend-set version live in haproxy here, for LbStatus. */
  readonly appliedLbVersion: () => number;
  /**
   * keepalived's track file. The daemon routes it through its haproxy watch so an explicit FAULT is never undone by
   * the watch; default: write the file.
   */
  readonly setVipTrack?: (fault: boolean) => Promise<void>;
  /** etcd's client port; default 2379 (tests run etcd on a free port). */
  readonly etcdPort?: number;
}

export function createTaskHandlers(deps: TaskHandlerDeps): TaskHandlers {
  const { host } = deps;
  const track = deps.setVipTrack ?? ((fault: boolean) => setVipTrack(host, fault));
  const staging: StagingState = {};
  return {
    async preflight(args, ctx) {
      const result = await runPreflight(
        host,
        {
          nodeName: args.nodeName,
          nodeAddress: args.nodeAddress,
          isControlPlane: args.isControlPlane,
          kubeProxyMode: args.kubeProxyMode as 'ipvs' | 'iptables' | 'nftables',
          kubernetesVersion: args.kubernetesVersion,
          criSocket: args.criSocket,
          vip: args.vip,
          ...(args.runsLoadBalancer && args.lbPort ? { lbPort: args.lbPort } : {}),
          apiserverPort: args.apiserverPort,
          ...(args.virtualRouterId > 0
            ? { vrrp: { virtualRouterId: args.virtualRouterId, listenMs: args.vrrpListenMs, clusterAddresses: args.clusterAddresses } }
            : {}),
        },
        ctx.progress,
      );
      return { warnings: [...result.warnings], actions: [...result.actions], facts: await deps.gatherFacts() };
    },
    async writeFiles(args) {
      const changed = await writeFiles(
        host,
        args.files.map((f) => ({ path: f.path, mode: f.mode, content: f.content })),
        args.removePaths,
      );
      // A new or changed unit or drop-in means nothing to systemd until it re-reads its configuration.
      if (changed.some((p) => SYSTEMD_UNIT_DIRS.some((d) => p.startsWith(d)))) await host.exec('systemctl', ['daemon-reload']);
      return { changedPaths: changed };
    },
    async kubeadmInit(args, ctx) {
      return kubeadmInit(host, args.configPath, ctx);
    },
    async uploadCerts(args, ctx) {
      await uploadCerts(host, args.configPath, args.certificateKey, ctx);
    },
    async createJoinToken(args, ctx) {
      return createJoinToken(host, args.configPath, ctx);
    },
    async deleteToken(args, ctx) {
      await deleteToken(host, args.tokenId, ctx);
    },
    async deleteCertsSecret(_args, ctx) {
      await deleteCertsSecret(host, ctx);
    },
    async kubeadmJoin(args, ctx) {
      await kubeadmJoin(host, args.configPath, args.ignorePreflightErrors, ctx);
    },
    async waitApiserver(args, ctx) {
      return {
        elapsedMs: await waitForApiserver(host, { address: args.address, port: args.port, timeoutMs: args.timeoutMs || 300_000 }, ctx.progress, ctx.signal),
      };
    },
    async kubectlDrainDelete(args, ctx) {
      await drainAndDeleteNode(host, args.nodeName, args.timeoutSeconds || 120, ctx, args.server);
    },
    async nodeStatus(args, ctx) {
      return nodeStatus(host, args.nodeName, ctx, args.server);
    },
    async kubeadmReset(_args, ctx) {
      await kubeadmReset(host, undefined, ctx);
    },
    async stopLoadBalancer(args, ctx) {
      const wait = args.criSocket && args.waitTimeoutMs ? { criSocket: args.criSocket, timeoutMs: args.waitTimeoutMs, signal: ctx.signal } : undefined;
      const runAs = args.runAs === 'static-pod' || args.runAs === 'systemd' ? args.runAs : undefined;
      await stopLoadBalancer(host, ctx.progress, wait, runAs);
    },
    async startLoadBalancer(_args, ctx) {
      await startLoadBalancer(host, ctx.progress);
    },
    async removeVip(args, ctx) {
      await removeVip(host, args.vip, ctx.progress);
    },
    async setVipTrack(args) {
      await track(args.fault);
    },
    async handOverVip(args, ctx) {
      return handOverVip(
        { vip: args.vip, port: args.port, drainTimeoutMs: args.drainTimeoutMs, moveTimeoutMs: args.moveTimeoutMs || 30_000 },
        { host, fault: () => track(true), progress: ctx.progress, signal: ctx.signal },
      );
    },
    async verifyClean(args) {
      return { leftovers: await verifyClean(host, args.paths, args.vip, { firewallHold: args.firewallHold }) };
    },
    async etcdStatus(args, ctx) {
      return etcdStatus(host, args.address, { signal: ctx.signal, ...(deps.etcdPort ? { port: deps.etcdPort } : {}) });
    },
    async etcdSnapshot(args, ctx) {
      return etcdSnapshot(host, args.address, ctx.data, ctx.progress, { signal: ctx.signal, ...(deps.etcdPort ? { port: deps.etcdPort } : {}) });
    },
    async etcdRemoveMember(args, ctx) {
      return etcdRemoveMember(host, { address: args.address, memberId: args.memberId, peerUrl: args.peerUrl }, ctx.progress, {
        signal: ctx.signal,
        timeoutMs: 15_000,
        ...(deps.etcdPort ? { port: deps.etcdPort } : {}),
      });
    },
    async etcdMoveLeader(args, ctx) {
      return etcdMoveLeader(host, { address: args.address, targetMemberId: args.targetMemberId }, ctx.progress, {
        signal: ctx.signal,
        timeoutMs: 15_000,
        ...(deps.etcdPort ? { port: deps.etcdPort } : {}),
      });
    },
    async etcdStageSnapshot(args, ctx) {
      return etcdStageSnapshot(
        host,
        {
          restoreId: args.restoreId,
          offset: args.offset,
          data: args.data,
          totalSize: args.totalSize,
          sha256: args.sha256,
          last: args.last,
          name: args.name,
          peerUrl: args.peerUrl,
        },
        staging,
        ctx.progress,
      );
    },
    async parkControlPlane(args, ctx) {
      const wait = args.criSocket && args.waitTimeoutMs ? { criSocket: args.criSocket, timeoutMs: args.waitTimeoutMs, signal: ctx.signal } : undefined;
      return parkControlPlane(host, { park: args.park, components: args.components }, ctx.progress, wait);
    },
    async etcdRestoreMember(args, ctx) {
      return etcdRestoreMember(
        host,
        {
          restoreId: args.restoreId,
          name: args.name,
          peerUrl: args.peerUrl,
          initialCluster: args.initialCluster.map((p) => ({ name: p.name, peerUrl: p.peerUrl })),
        },
        { criSocket: args.criSocket, timeoutMs: args.timeoutMs, signal: ctx.signal },
        ctx.progress,
      );
    },
    async certsCheck(args, ctx) {
      return certsCheck(host, args.controlPlane, { progress: ctx.progress, signal: ctx.signal, timeoutMs: 60_000 });
    },
    async certsRenew(_args, ctx) {
      return certsRenew(host, { progress: ctx.progress, signal: ctx.signal, timeoutMs: 120_000 });
    },
    async servedCertificate(args) {
      return servedCertificate(host, args.address, args.port);
    },
    async installPackages(args, ctx) {
      return installPackages(host, args.packages, args.version, { progress: ctx.progress, signal: ctx.signal, timeoutMs: 600_000 }, args.binariesDir);
    },
    async kubeadmUpgrade(args, ctx) {
      return kubeadmUpgrade(host, args.mode, args.version, { progress: ctx.progress, signal: ctx.signal, timeoutMs: 900_000 });
    },
    async nodeVersions() {
      return nodeVersions(host);
    },
    async restartKubelet(_args, ctx) {
      await restartKubelet(host, { progress: ctx.progress, signal: ctx.signal, timeoutMs: 120_000 });
    },
    async kubectlDrain(args, ctx) {
      await kubectlDrain(host, args.nodeName, args.timeoutSeconds || 300, args.server, { progress: ctx.progress, signal: ctx.signal });
    },
    async kubectlUncordon(args, ctx) {
      await kubectlUncordon(host, args.nodeName, args.server, { progress: ctx.progress, signal: ctx.signal });
    },
    async lbStatus() {
      return {
        servers: await readLbServers(host, { sessions: true }),
        appliedVersion: deps.appliedLbVersion(),
      };
    },
  };
}
