/**
 * The part of a static pod manifest the stand-in acts on, read the way the kubelet reads it: one Pod per file,
 * defaults applied (restartPolicy Always, terminationGracePeriodSeconds 30, probe timings), and two manifests
 * equal when their decoded objects are equal (a comment-only edit does not restart the pod).
 */
import { parse as parseYaml } from 'yaml';

/** Daemons that run either as a static pod or as a systemd unit. */
export type DaemonName = 'keepalived' | 'haproxy';
export const DAEMON_NAMES: readonly DaemonName[] = ['keepalived', 'haproxy'];
/**
 * What the stand-in runs from static pods: the load balancer pair, etcd (Debian's /usr/bin/etcd for kubeadm's image),
 * and the image's one-shot tools a restore pod runs (etcdutl of 3.5 images, etcdctl of 3.4 ones).
 */
export type PodDaemonName = DaemonName | 'etcd' | 'etcdutl' | 'etcdctl';
export const POD_DAEMON_NAMES: readonly PodDaemonName[] = [...DAEMON_NAMES, 'etcd', 'etcdutl', 'etcdctl'];

/** etcdutl's restore flags that etcdctl 3.4 does not have (etcd 3.5.10 added them). */
const NOT_IN_ETCD_3_4 = ['--bump-revision', '--mark-compacted'];

/**
 * The host command that stands in for the image's: the same, except `etcdutl snapshot …` (etcd 3.5 images), which
 * runs as Debian's etcdctl 3.4 with ETCDCTL_API=3 (the same subcommand and flags) minus the two 3.4 lacks; `dropped`
 * says which, for the event log. Debian ships no etcdutl.
 */
export function hostCommand(container: Container): { argv: string[]; env: Record<string, string>; dropped: string[] } {
  const argv = [...container.command, ...container.args];
  if ((argv[0] ?? '').split('/').pop() !== 'etcdutl') return { argv, env: { ...container.env }, dropped: [] };
  const dropped = argv.filter((a) => NOT_IN_ETCD_3_4.includes(a.split('=')[0]!));
  return { argv: ['etcdctl', ...argv.slice(1).filter((a) => !dropped.includes(a))], env: { ...container.env, ETCDCTL_API: '3' }, dropped };
}

export interface HostPathVolume {
  readonly name: string;
  readonly path: string;
  /** '' (no check), Directory, DirectoryOrCreate, File, FileOrCreate, Socket, CharDevice, BlockDevice. */
  readonly type: string;
}

export interface VolumeMount {
  readonly name: string;
  readonly mountPath: string;
  readonly readOnly: boolean;
  readonly subPath?: string;
}

export interface Probe {
  readonly kind: 'httpGet' | 'tcpSocket' | 'exec' | 'grpc';
  readonly host?: string;
  readonly port?: number;
  readonly path?: string;
  readonly scheme?: 'HTTP' | 'HTTPS';
  readonly initialDelaySeconds: number;
  readonly periodSeconds: number;
  readonly timeoutSeconds: number;
  readonly failureThreshold: number;
  readonly successThreshold: number;
}

export interface Container {
  readonly name: string;
  readonly image: string;
  readonly command: readonly string[];
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly volumeMounts: readonly VolumeMount[];
  readonly livenessProbe?: Probe;
  readonly capabilitiesAdd: readonly string[];
  readonly privileged: boolean;
}

export interface StaticPod {
  readonly namespace: string;
  readonly name: string;
  readonly hostNetwork: boolean;
  readonly restartPolicy: 'Always' | 'OnFailure' | 'Never';
  readonly terminationGracePeriodSeconds: number;
  readonly containers: readonly Container[];
  /** hostPath volumes by name; other volume kinds are listed in `otherVolumes`. */
  readonly hostPathVolumes: ReadonlyMap<string, HostPathVolume>;
  readonly otherVolumes: readonly string[];
  /** Canonical JSON of the decoded manifest: equal when the kubelet would see the same pod. */
  readonly identity: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown, dflt = ''): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : dflt);
const num = (v: unknown, dflt: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : dflt);

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isObj(value))
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
      .join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}

function parseProbe(raw: unknown): Probe | undefined {
  if (!isObj(raw)) return undefined;
  const timing = {
    initialDelaySeconds: num(raw.initialDelaySeconds, 0),
    periodSeconds: num(raw.periodSeconds, 10),
    timeoutSeconds: num(raw.timeoutSeconds, 1),
    failureThreshold: num(raw.failureThreshold, 3),
    successThreshold: num(raw.successThreshold, 1),
  };
  if (isObj(raw.httpGet)) {
    const g = raw.httpGet;
    const scheme = str(g.scheme, 'HTTP').toUpperCase() === 'HTTPS' ? 'HTTPS' : 'HTTP';
    return { kind: 'httpGet', ...(g.host ? { host: str(g.host) } : {}), port: Number(g.port), path: str(g.path, '/'), scheme, ...timing };
  }
  if (isObj(raw.tcpSocket))
    return { kind: 'tcpSocket', ...(raw.tcpSocket.host ? { host: str(raw.tcpSocket.host) } : {}), port: Number(raw.tcpSocket.port), ...timing };
  if (isObj(raw.exec)) return { kind: 'exec', ...timing };
  if (isObj(raw.grpc)) return { kind: 'grpc', port: Number(raw.grpc.port), ...timing };
  return undefined;
}

function parseContainer(raw: unknown, i: number): Container {
  if (!isObj(raw)) throw new Error(`spec.containers[${i}] is not an object`);
  const name = str(raw.name);
  if (!name) throw new Error(`spec.containers[${i}].name is required`);
  const env: Record<string, string> = {};
  for (const e of list(raw.env)) if (isObj(e) && typeof e.name === 'string' && e.value !== undefined) env[e.name] = str(e.value);
  const sc = isObj(raw.securityContext) ? raw.securityContext : {};
  const caps = isObj(sc.capabilities) ? list(sc.capabilities.add).map((c) => str(c)) : [];
  return {
    name,
    image: str(raw.image),
    command: list(raw.command).map((c) => str(c)),
    args: list(raw.args).map((c) => str(c)),
    env,
    volumeMounts: list(raw.volumeMounts)
      .filter(isObj)
      .map((m) => ({ name: str(m.name), mountPath: str(m.mountPath), readOnly: m.readOnly === true, ...(m.subPath ? { subPath: str(m.subPath) } : {}) })),
    ...(raw.livenessProbe ? { livenessProbe: parseProbe(raw.livenessProbe) } : {}),
    capabilitiesAdd: caps,
    privileged: sc.privileged === true,
  };
}

/** Throws with the reason the kubelet would log ("could not decode", "not a Pod", …). */
export function parseStaticPod(text: string): StaticPod {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new Error(`invalid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!isObj(doc)) throw new Error('not a YAML/JSON object');
  if (doc.kind !== 'Pod' || doc.apiVersion !== 'v1') throw new Error(`kind ${str(doc.kind, '?')}/${str(doc.apiVersion, '?')} is not a v1 Pod`);
  const meta = isObj(doc.metadata) ? doc.metadata : {};
  const spec = isObj(doc.spec) ? doc.spec : undefined;
  if (!str(meta.name)) throw new Error('metadata.name is required');
  if (!spec) throw new Error('spec is required');
  const containers = list(spec.containers).map(parseContainer);
  if (containers.length === 0) throw new Error('spec.containers is empty');
  const hostPathVolumes = new Map<string, HostPathVolume>();
  const otherVolumes: string[] = [];
  for (const v of list(spec.volumes)) {
    if (!isObj(v)) continue;
    if (isObj(v.hostPath)) hostPathVolumes.set(str(v.name), { name: str(v.name), path: str(v.hostPath.path), type: str(v.hostPath.type) });
    else otherVolumes.push(str(v.name));
  }
  const restart = str(spec.restartPolicy, 'Always');
  return {
    namespace: str(meta.namespace, 'default'),
    name: str(meta.name),
    hostNetwork: spec.hostNetwork === true,
    restartPolicy: restart === 'Never' || restart === 'OnFailure' ? restart : 'Always',
    terminationGracePeriodSeconds: num(spec.terminationGracePeriodSeconds, 30),
    containers,
    hostPathVolumes,
    otherVolumes,
    identity: canonical(doc),
  };
}

/** Which daemon a container runs, from its command; the stand-in runs the host's binary of that name. */
export function daemonOf(container: Container): PodDaemonName | undefined {
  const bin = (container.command[0] ?? '').split('/').pop();
  return POD_DAEMON_NAMES.find((d) => d === bin);
}

/**
 * What would make this pod misbehave on a real node even though the kubelet accepts it. The stand-in refuses to
 * run such a pod, so that a test fails on the manifest instead of on a symptom three steps later.
 */
export function podProblems(pod: StaticPod, container: Container, daemon: PodDaemonName): string[] {
  const where = `static pod ${pod.namespace}/${pod.name}, container ${container.name}`;
  const problems: string[] = [];
  if (!pod.hostNetwork)
    problems.push(`${where}: hostNetwork is not true, so ${daemon} would run in the pod's own network namespace, away from the node's interfaces`);
  if (daemon === 'keepalived' && !container.privileged) {
    const missing = ['NET_ADMIN', 'NET_RAW'].filter((c) => !container.capabilitiesAdd.includes(c));
    if (missing.length > 0) problems.push(`${where}: keepalived needs capabilities ${missing.join(', ')} (to add the VIP and send VRRP)`);
  }
  for (const m of container.volumeMounts) {
    const v = pod.hostPathVolumes.get(m.name);
    if (!v)
      problems.push(
        `${where}: volumeMount ${m.name} has no hostPath volume of that name${pod.otherVolumes.includes(m.name) ? ' (only hostPath volumes are emulated)' : ''}`,
      );
    if (m.subPath) problems.push(`${where}: volumeMount ${m.name} uses subPath, which the stand-in does not emulate`);
  }
  return problems;
}
