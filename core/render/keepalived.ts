/**
 * keepalived for the apiserver VIP: keepalived.conf and the check script it runs. Verified against keepalived
 * 2.2.7 (`keepalived -t` and a live daemon in a network namespace, see keepalived.test.ts).
 */
import { KubeadmHaError } from '../errors.js';
import { vipCidr, type ClusterPlan } from '../plan.js';
import type { ClusterSpec } from '../spec.js';
import { HAPROXY_HEALTHZ_PATH, HAPROXY_HEALTHZ_PORT } from './haproxy.js';
import { renderTemplate } from './template.js';
import type { RenderTarget, RenderedFile } from './types.js';
import { KEEPALIVED_CONF_PATH } from '../host/paths.js';

export const KEEPALIVED_DIR = '/etc/keepalived';
export const KEEPALIVED_CHECK_SCRIPT_PATH = `${KEEPALIVED_DIR}/check_apiserver.sh`;
/** The agent writes a non-zero value here to move the VIP away (FAULT); `0` is healthy. Not rendered: keepalived creates it with 0. */
export const KEEPALIVED_TRACK_FILE_PATH = `${KEEPALIVED_DIR}/kubeadm-ha.track`;
/** keepalived's notify script: writes each VRRP state change to KEEPALIVED_STATE_FILE_PATH. */
export const KEEPALIVED_NOTIFY_SCRIPT_PATH = `${KEEPALIVED_DIR}/kubeadm-ha-notify.sh`;
/** The VRRP state keepalived last announced (MASTER, BACKUP, FAULT, STOP), one line; the agent reports it. */
export const KEEPALIVED_STATE_FILE_PATH = `${KEEPALIVED_DIR}/kubeadm-ha.state`;

/**
 * keepalived parses vrrp_script interval/timeout as whole seconds (2.2.7 rejects `interval 0.5`: "must be between
 * 1 and 4294"), so 1 s is the fastest check. Two failures in a row (≈2–3 s) move the VIP; one slow answer does not.
 * The timeout leaves the script's own 1 s read timeout room to report why it failed.
 */
export const CHECK_SCRIPT_TIMING = Object.freeze({ interval: 1, timeout: 2, fall: 2, rise: 2 });
export const CHECK_SCRIPT_ANSWER_TIMEOUT_SECONDS = 1;

/**
 * The root-level track-file keyword differs by version: keepalived ≤ 2.0.20 knows only `vrrp_track_file`; 2.1+
 * renamed it `track_file` and keeps the old name as a deprecated synonym (2.2.7 logs a one-line deprecation).
 * systemd mode runs the distribution's keepalived (2.2.7 on Debian 12); static-pod mode runs the image's, and the
 * default image ships 2.0.20, so each mode gets the spelling its daemon reads.
 */
export type TrackFileKeyword = 'track_file' | 'vrrp_track_file';

export function trackFileKeywordFor(spec: ClusterSpec): TrackFileKeyword {
  return spec.controlPlaneEndpoint.runAs === 'systemd' ? 'track_file' : 'vrrp_track_file';
}

/**
 * The `fast` profile (100 ms adverts, master-down ≈ 0.36 s) runs keepalived's VRRP process SCHED_RR at this priority
 * (global_defs `vrrp_rt_priority`). On a busy control-plane node the likeliest reason for the holder's adverts to be
 * ≈ 0.26 s late, which moves the VIP at 100 ms, is CPU: a real-time task runs before every normal one, whatever their
 * nice values and cgroup weights (the static pod's 10m cpu request gives its cgroup ~1 % of a contended CPU, so neither
 * nice nor `vrrp_priority` would help against other pods).
 * - keepalived sets SCHED_RESET_ON_FORK: the check script it forks every second runs as a normal process.
 * - keepalived also sets RLIMIT_RTTIME (its default, 10 ms of CPU without blocking; a warning at 5 ms): a VRRP process
 *   gone wrong is killed by the kernel rather than let it starve the host. Not raised here: this configuration's VRRP
 *   process blocks after a few hundred µs; keepalived's log says "rlimit_rttime may need to be increased" if not.
 * - 10: above every normal task, below the kernel's threaded interrupt handlers (50) and anything an operator runs
 *   real-time on purpose.
 * - Needs CAP_SYS_NICE, which the static pod adds for this profile (systemd runs keepalived as root). Where it is
 *   missing, or where the kernel's RT group scheduling refuses it, keepalived logs "cannot raise priority" and runs as
 *   a normal process.
 * - Not rendered: `vrrp_no_swap` (kubelet nodes run without swap, and it needs CAP_IPC_LOCK); `max_auto_priority`
 *   (it reacts only after a scheduling delay of `min_auto_priority_delay`, 1 s by default, already too late here).
 */
export const FAST_PROFILE_VRRP_RT_PRIORITY = 10;

/** The global_defs real-time priority of the VRRP process for this spec, if any (only the `fast` profile has one). */
export function vrrpRealtimePriority(spec: ClusterSpec): number | undefined {
  return spec.controlPlaneEndpoint.keepalived.profile === 'fast' ? FAST_PROFILE_VRRP_RT_PRIORITY : undefined;
}

/** keepalived's advert_int is seconds with decimals: 200 ms → `0.2`, 1050 ms → `1.05`. Integer arithmetic, no float noise. */
export function formatAdvertInt(ms: number): string {
  if (!Number.isInteger(ms) || ms <= 0) throw new RangeError(`advert interval must be a positive whole number of ms, got ${ms}`);
  const whole = Math.floor(ms / 1000);
  const fraction = String(ms % 1000)
    .padStart(3, '0')
    .replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : String(whole);
}

/** Linux IFNAMSIZ: at most 15 characters, no whitespace or slash. */
export const INTERFACE_RE = /^[A-Za-z0-9_.:@-]{1,15}$/;

/** One VRRP instance per cluster; the name shows in keepalived's logs and `keepalived --signum=DATA` dumps. */
export function vrrpInstanceName(spec: ClusterSpec): string {
  return `${spec.name}-apiserver`;
}

function requireControlPlane(target: RenderTarget): number {
  const { node } = target;
  if (node.role !== 'control-plane' || node.priority === undefined)
    throw new KubeadmHaError(`keepalived runs only on control-plane nodes; ${node.name} is a ${node.role}`);
  if (!INTERFACE_RE.test(target.interface)) throw new KubeadmHaError(`${node.name}: "${target.interface}" is not an interface name for the VIP`);
  return node.priority;
}

export function renderKeepalivedConf(target: RenderTarget): string {
  const { plan, node } = target;
  const spec = plan.spec;
  const keepalived = spec.controlPlaneEndpoint.keepalived;
  const priority = requireControlPlane(target);
  const peers = plan.controlPlane.filter((n) => n.name !== node.name).map((n) => n.address);
  return renderTemplate('keepalived/keepalived.conf.hbs', {
    clusterName: spec.name,
    nodeName: node.name,
    nodeAddress: node.address,
    instanceName: vrrpInstanceName(spec),
    interface: target.interface,
    virtualRouterId: plan.virtualRouterId,
    priority,
    advertInt: formatAdvertInt(keepalived.advertIntervalMs),
    profile: keepalived.profile,
    vrrpRtPriority: vrrpRealtimePriority(spec),
    nopreempt: !keepalived.preempt,
    // A single control-plane node has no peer to advertise to; an empty unicast_peer block is not useful.
    unicast: keepalived.unicast && peers.length > 0,
    peers,
    vipCidr: vipCidr(spec),
    checkScriptPath: KEEPALIVED_CHECK_SCRIPT_PATH,
    script: CHECK_SCRIPT_TIMING,
    trackWeight: keepalived.trackWeight,
    weightDrop: -keepalived.trackWeight,
    trackFileKeyword: trackFileKeywordFor(spec),
    trackFilePath: KEEPALIVED_TRACK_FILE_PATH,
    notifyScriptPath: KEEPALIVED_NOTIFY_SCRIPT_PATH,
  });
}

export function renderNotifyScript(plan: ClusterPlan, nodeName: string): string {
  return renderTemplate('keepalived/notify.sh.hbs', { clusterName: plan.spec.name, nodeName, stateFilePath: KEEPALIVED_STATE_FILE_PATH });
}

export function renderCheckScript(plan: ClusterPlan, nodeName: string): string {
  return renderTemplate('keepalived/check_apiserver.sh.hbs', {
    clusterName: plan.spec.name,
    nodeName,
    healthzPort: HAPROXY_HEALTHZ_PORT,
    healthzPath: HAPROXY_HEALTHZ_PATH,
    answerTimeoutSeconds: CHECK_SCRIPT_ANSWER_TIMEOUT_SECONDS,
  });
}

/**
 * keepalived.conf (0600: keepalived reads it as root, and releases before VRRPv3 kept auth_pass in it), the check
 * script and the notify script (0755, root-owned: enable_script_security refuses anything else).
 */
export function renderKeepalivedFiles(target: RenderTarget): RenderedFile[] {
  return [
    { path: KEEPALIVED_CONF_PATH, mode: 0o600, content: renderKeepalivedConf(target) },
    { path: KEEPALIVED_CHECK_SCRIPT_PATH, mode: 0o755, content: renderCheckScript(target.plan, target.node.name) },
    { path: KEEPALIVED_NOTIFY_SCRIPT_PATH, mode: 0o755, content: renderNotifyScript(target.plan, target.node.name) },
  ];
}
