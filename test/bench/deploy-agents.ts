/**
 * One process of the deploy benchmark's agents (deploy.ts forks several, so that 103 agents' TLS, gRPC, NATS and task
 * work is not one event loop's). Each agent is the real one (agent/daemon.ts startAgent) on its own simulated host
 * (deploy-fleet.ts FleetHostOps); the host's kubeadm and kubectl are answered by the cluster model in the parent,
 * over IPC, and the parent tells every process where the VIP is.
 */
import { startAgent, type AgentDaemon } from '../../agent/daemon.js';
import { parseAgentConfig } from '../../core/agent-config.js';
import { silentLogger } from '../../lib/log.js';
import { FleetFailure, FleetHostOps, LoopSampler, type FleetHost, type FleetModel, type LoopSample } from './deploy-fleet.js';

export type ToAgents =
  | { readonly type: 'start'; readonly agentConfig: string; readonly vip: string; readonly kubernetesVersion: string; readonly hosts: readonly AgentHost[] }
  | { readonly type: 'reply'; readonly id: number; readonly stdout?: string; readonly error?: { readonly message: string; readonly exitCode: number } }
  | { readonly type: 'vip'; readonly holder: string | null }
  | { readonly type: 'busy'; readonly id: number; readonly overMs: number }
  | { readonly type: 'samples'; readonly id: number }
  | { readonly type: 'stop' };

export type FromAgents =
  | {
      readonly type: 'call';
      readonly id: number;
      readonly tool: 'kubeadm' | 'kubectl';
      readonly host: FleetHost;
      readonly root: string;
      readonly args: readonly string[];
    }
  | { readonly type: 'vrrp'; readonly host: string; readonly event: 'start' | 'read'; readonly at: number }
  | { readonly type: 'unsimulated'; readonly line: string }
  | { readonly type: 'connected' }
  | { readonly type: 'busy'; readonly id: number; readonly utilization: number }
  | { readonly type: 'samples'; readonly id: number; readonly samples: readonly LoopSample[] }
  | { readonly type: 'stopped' };

export interface AgentHost {
  readonly host: FleetHost;
  readonly root: string;
  /** The agent's state directory. */
  readonly stateDir: string;
}

/** The cluster model as seen from an agent process: every question goes to the parent. */
class RemoteFleet implements FleetModel {
  private next = 0;
  private readonly pending = new Map<number, { resolve: (stdout: string) => void; reject: (err: Error) => void }>();
  holder: string | null = null;

  constructor(
    readonly vip: string,
    readonly kubernetesVersion: string,
    private readonly send: (m: FromAgents) => void,
  ) {}

  private call(tool: 'kubeadm' | 'kubectl', host: FleetHost, root: string, args: readonly string[]): Promise<string> {
    const id = ++this.next;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.send({ type: 'call', id, tool, host, root, args });
    });
  }

  settle(reply: Extract<ToAgents, { type: 'reply' }>): void {
    const waiting = this.pending.get(reply.id);
    this.pending.delete(reply.id);
    if (reply.error) waiting?.reject(new FleetFailure(reply.error.message, reply.error.exitCode));
    else waiting?.resolve(reply.stdout ?? '');
  }

  kubeadm(host: FleetHost, root: string, args: readonly string[]): Promise<string> {
    return this.call('kubeadm', host, root, args);
  }

  kubectl(host: FleetHost, root: string, args: readonly string[]): Promise<string> {
    return this.call('kubectl', host, root, args);
  }

  holdsVip(host: string): boolean {
    return this.holder === host;
  }

  noteVrrpListen(host: string, event: 'start' | 'read', at: number): void {
    this.send({ type: 'vrrp', host, event, at });
  }

  noteUnsimulated(line: string): void {
    this.send({ type: 'unsimulated', line });
  }
}

function main(): void {
  const send = (m: FromAgents) => process.send!(m);
  const loop = new LoopSampler();
  let fleet: RemoteFleet | undefined;
  const agents: AgentDaemon[] = [];
  process.on('message', (m: ToAgents) => {
    switch (m.type) {
      case 'start': {
        fleet = new RemoteFleet(m.vip, m.kubernetesVersion, send);
        for (const { host, root, stateDir } of m.hosts) {
          const config = parseAgentConfig(`${m.agentConfig}nodeName: ${host.name}\nstateDir: ${stateDir}\n`);
          agents.push(startAgent({ config, hostRoot: root, logger: silentLogger, host: new FleetHostOps(fleet, host, root) }));
        }
        const check = setInterval(() => {
          if (!agents.every((a) => a.session.connected)) return;
          clearInterval(check);
          send({ type: 'connected' });
        }, 100);
        return;
      }
      case 'reply':
        fleet?.settle(m);
        return;
      case 'vip':
        if (fleet) fleet.holder = m.holder;
        return;
      case 'busy':
        send({ type: 'busy', id: m.id, utilization: loop.busy(Date.now() - m.overMs, Date.now()) });
        return;
      case 'samples':
        send({ type: 'samples', id: m.id, samples: loop.samples });
        return;
      case 'stop':
        loop.stop();
        void Promise.all(agents.map((a) => a.stop())).finally(() => {
          send({ type: 'stopped' });
          process.disconnect();
        });
        return;
    }
  });
}

if (process.send) main();
