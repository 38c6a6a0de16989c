/**
 * The deploy, in order: it reconciles the cluster to the spec, so add-node and auto-join run it too. Every phase
 * decides from the cluster's real state, so a deploy that stopped half-way resumes where it stopped.
 */
import type { Action } from '../workflow/engine.js';
import type { ClusterContext, ClusterView } from '../workflow/ports.js';
import { etcdHealthGatePhase } from '../phases/deploy/etcd-health-gate.js';
import { initPhase } from '../phases/deploy/init.js';
import { joinControlPlanePhase } from '../phases/deploy/join-control-plane.js';
import { joinWorkersPhase } from '../phases/deploy/join-workers.js';
import { loadBalancerPhase } from '../phases/deploy/load-balancer.js';
import { preflightPhase } from '../phases/deploy/preflight.js';
import { prepareHostsPhase } from '../phases/deploy/prepare-hosts.js';
import { validatePhase } from '../phases/deploy/validate.js';
import { verifyPhase } from '../phases/deploy/verify.js';
import { waitAgentsPhase } from '../phases/deploy/wait-agents.js';

export const DEPLOY: Action<ClusterContext, ClusterView> = {
  kind: 'deploy',
  phases: [
    validatePhase,
    waitAgentsPhase,
    preflightPhase,
    etcdHealthGatePhase,
    prepareHostsPhase,
    loadBalancerPhase,
    initPhase,
    joinControlPlanePhase,
    joinWorkersPhase,
    verifyPhase,
  ],
  resumeHint: 'Fix the cause, then run `coordinatorctl deploy -f cluster.yaml` again: it resumes where it stopped.',
  observing: ['validate', 'wait-agents', 'etcd-health-gate', 'verify'],
};

/**
 * add-node and auto-join reconcile with the same phases, under their own action record; a coordinator restarted
 * mid-way resumes them from the operation record (actions/operation-record.ts), as it resumes a deploy.
 */
export const ADD_NODE: Action<ClusterContext, ClusterView> = { ...DEPLOY, kind: 'add-node' };
