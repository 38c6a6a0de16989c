/**
 * Entry point of the simulated `kubectl` (a test double; never shipped): the few verbs the product
 * uses against the simulated cluster — get nodes/pods, cordon, uncordon, drain, delete node —
 * with kubectl's grammar, output and error shapes. It reaches the server named in the kubeconfig
 * over TLS (the VIP through haproxy in end-to-end tests) unless KUBEADM_SIM_APISERVER=off.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { chainFor, getBool, getString, parseCommandLine, renderHelp, UsageError, type CommandSpec, type FlagSpec, type ParsedCommand } from './grammar.js';
import { err, hostPath, logInvocation, out, printFailure, readEnv, SimFailure, type SimEnv } from './env.js';
import { readKubeconfig } from './render.js';
import { StateStore, type ClusterState, type NodeState } from './state.js';
import { caCertHash } from './pki.js';
import { apiserverPid, isAlive, probe } from './apiserver-control.js';
import {
  nodeObject,
  nodesTable,
  parseStaticPod,
  podObject,
  podsOf,
  podsTable,
  type NodeObservation,
  type PodView,
  type StaticPodManifest,
} from './cluster-view.js';
import { splitHostPort } from './node-files.js';

const f = (name: string, type: FlagSpec['type'], usage: string, extra: Partial<FlagSpec> = {}): FlagSpec => ({ name, type, usage, ...extra });

const OUTPUT = f('output', 'string', 'Output format. One of: (json, yaml, name, wide).', { short: 'o' });

export const KUBECTL_ROOT: CommandSpec = {
  name: 'kubectl',
  use: 'kubectl',
  short: 'kubectl controls the Kubernetes cluster manager.',
  args: { kind: 'none' },
  flags: [],
  persistentFlags: [
    f('kubeconfig', 'string', 'Path to the kubeconfig file to use for CLI requests.'),
    f('namespace', 'string', 'If present, the namespace scope for this CLI request', { short: 'n' }),
    f('context', 'string', 'The name of the kubeconfig context to use'),
    f('request-timeout', 'string', 'The length of time to wait before giving up on a single server request.', { default: '0' }),
    f('server', 'string', 'The address and port of the Kubernetes API server', { short: 's' }),
    f('v', 'int', 'number for the log level verbosity', { short: 'v' }),
  ],
  subcommands: [
    {
      name: 'get',
      use: 'get [(-o|--output=)json|yaml|name|wide] (TYPE[.VERSION][.GROUP] [NAME | -l label] | TYPE[.VERSION][.GROUP]/NAME ...) [flags]',
      short: 'Display one or many resources',
      args: { kind: 'any' },
      flags: [
        OUTPUT,
        f('all-namespaces', 'bool', 'If present, list the requested object(s) across all namespaces.', { short: 'A' }),
        f('no-headers', 'bool', "When using the default or custom-column output format, don't print headers (default print headers)."),
        f('selector', 'string', 'Selector (label query) to filter on.', { short: 'l' }),
      ],
    },
    {
      name: 'cordon',
      use: 'cordon NODE',
      short: 'Mark node as unschedulable',
      args: { kind: 'exact', n: 1 },
      flags: [f('dry-run', 'string', 'Must be "none", "server", or "client".', { default: 'none' })],
    },
    {
      name: 'uncordon',
      use: 'uncordon NODE',
      short: 'Mark node as schedulable',
      args: { kind: 'exact', n: 1 },
      flags: [f('dry-run', 'string', 'Must be "none", "server", or "client".', { default: 'none' })],
    },
    {
      name: 'drain',
      use: 'drain NODE',
      short: 'Drain node in preparation for maintenance',
      args: { kind: 'exact', n: 1 },
      flags: [
        f('delete-emptydir-data', 'bool', 'Continue even if there are pods using emptyDir (local data that will be deleted when the node is drained).'),
        f('disable-eviction', 'bool', 'Force drain to use delete, even if eviction is supported.'),
        f('force', 'bool', 'Continue even if there are pods that do not declare a controller.'),
        f('grace-period', 'int', 'Period of time in seconds given to each pod to terminate gracefully.', { default: '-1' }),
        f('ignore-daemonsets', 'bool', 'Ignore DaemonSet-managed pods.'),
        f('pod-selector', 'string', 'Label selector to filter pods on the node'),
        f('skip-wait-for-delete-timeout', 'int', 'If pod DeletionTimestamp older than N seconds, skip waiting for the pod.'),
        f('timeout', 'duration', 'The length of time to wait before giving up, zero means infinite'),
      ],
    },
    {
      name: 'delete',
      use: 'delete ([-f FILENAME] | TYPE [(NAME | -l label | --all)])',
      short: 'Delete resources by file names, stdin, resources and names, or by resources and label selector',
      args: { kind: 'any' },
      flags: [
        f('ignore-not-found', 'bool', 'Treat "resource not found" as a successful delete.'),
        f('wait', 'bool', 'If true, wait for resources to be gone before returning.', { default: 'true' }),
        f('grace-period', 'int', 'Period of time in seconds given to the resource to terminate gracefully.', { default: '-1' }),
      ],
    },
  ],
};

const kubectlUsage = (p: string[], message: string): SimFailure => new SimFailure(message, 1, `error: ${message}\nSee '${p.join(' ')} --help' for usage.\n`);
const fail = (message: string): SimFailure => new SimFailure(message, 1, `${message}\n`);

interface Session {
  store: StateStore;
  state: ClusterState;
}

/** Loads the kubeconfig (kubectl's search order) and reaches the server it names. */
async function connect(p: ParsedCommand, env: SimEnv): Promise<Session> {
  let path = getString(p, 'kubeconfig');
  if (path) {
    if (!existsSync(hostPath(env.root, path))) throw fail(`error: stat ${path}: no such file or directory`);
  } else {
    const envPath = process.env.KUBECONFIG?.split(':').find((x) => x && existsSync(hostPath(env.root, x)));
    const home = `${process.env.HOME && process.env.HOME !== '/' ? process.env.HOME : '/root'}/.kube/config`;
    path = envPath ?? (existsSync(hostPath(env.root, home)) ? home : '');
  }
  if (!path) throw fail('The connection to the server localhost:8080 was refused - did you specify the right host or port?');
  const kc = readKubeconfig(readFileSync(hostPath(env.root, path), 'utf8'), parseYaml);
  if (!kc?.server) throw fail('error: invalid configuration: no configuration has been provided, try setting KUBERNETES_MASTER environment variable');
  const server = getString(p, 'server') || kc.server;
  const hostPort = server.replace(/^https:\/\//, '');
  const store = new StateStore(env.stateDir);
  const state = store.read();
  if (!state) throw fail(`The connection to the server ${hostPort} was refused - did you specify the right host or port?`);
  if (caCertHash(kc.caPem) !== state.caCertHash)
    throw fail(`Unable to connect to the server: tls: failed to verify certificate: x509: certificate signed by unknown authority`);
  if (env.apiserverMode === 'spawn') {
    const { host, port } = splitHostPort(hostPort);
    const r = await probe(host, Number(port || 443), '/version', kc.caPem, 5000);
    if ('error' in r) {
      if (/ECONNREFUSED/.test(r.error)) throw fail(`The connection to the server ${hostPort} was refused - did you specify the right host or port?`);
      throw fail(`Unable to connect to the server: dial tcp ${hostPort}: ${r.error}`);
    }
  }
  return { store, state };
}

function readManifests(root: string): StaticPodManifest[] {
  const dir = hostPath(root, '/etc/kubernetes/manifests');
  if (!existsSync(dir)) return [];
  const outList: StaticPodManifest[] = [];
  for (const file of readdirSync(dir).sort()) {
    if (!/\.(ya?ml|json)$/.test(file) || file.startsWith('.')) continue;
    try {
      const doc = parseAllDocuments(readFileSync(join(dir, file), 'utf8'))[0]?.toJS();
      const m = parseStaticPod(doc, file);
      if (m) outList.push(m);
    } catch {
      // the kubelet skips manifests it cannot decode
    }
  }
  return outList;
}

function observe(s: ClusterState): Map<string, NodeObservation> {
  const m = new Map<string, NodeObservation>();
  for (const n of s.nodes) {
    const pid = apiserverPid(n.root);
    m.set(n.name, {
      manifests: readManifests(n.root),
      apiserverUp: pid === null ? !existsSync(hostPath(n.root, '/run/kubeadm-sim/apiserver.log')) : isAlive(pid),
    });
  }
  return m;
}

const nodeNotFound = (name: string): SimFailure => fail(`Error from server (NotFound): nodes "${name}" not found`);

function resourceKind(word: string | undefined, path: string[]): { kind: 'nodes' | 'pods'; name?: string } {
  if (!word) throw kubectlUsage(path, 'You must specify the type of resource to get. Use "kubectl api-resources" for a complete list of supported resources.');
  const [type, name] = word.includes('/') ? (word.split('/') as [string, string]) : [word, undefined];
  if (['nodes', 'node', 'no'].includes(type)) return { kind: 'nodes', name };
  if (['pods', 'pod', 'po'].includes(type)) return { kind: 'pods', name };
  throw fail(`error: the server doesn't have a resource type "${type}"`);
}

async function runGet(p: ParsedCommand, env: SimEnv): Promise<void> {
  const { kind, name: slashName } = resourceKind(p.args[0], p.path);
  const names = slashName ? [slashName] : p.args.slice(1);
  const s = (await connect(p, env)).state;
  const output = getString(p, 'output');
  if (output && !['json', 'yaml', 'wide', 'name'].includes(output))
    throw fail(
      `error: unable to match a printer suitable for the output format "${output}", allowed formats are: custom-columns,custom-columns-file,go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,wide,yaml`,
    );
  const now = Date.now();
  const noHeaders = getBool(p, 'no-headers');
  let objects: Record<string, unknown>[];
  let table: () => string;
  let names2: string[];
  if (kind === 'nodes') {
    let nodes: NodeState[] = s.nodes;
    if (names.length) {
      for (const n of names) if (!s.nodes.some((x) => x.name === n)) throw nodeNotFound(n);
      nodes = s.nodes.filter((x) => names.includes(x.name));
    }
    objects = nodes.map(nodeObject);
    table = () => nodesTable(nodes, now, output === 'wide', noHeaders);
    names2 = nodes.map((n) => `node/${n.name}`);
  } else {
    const all = getBool(p, 'all-namespaces');
    const ns = getString(p, 'namespace') || 'default';
    let pods: PodView[] = podsOf(s, observe(s)).filter((x) => all || x.namespace === ns);
    if (names.length) {
      for (const n of names) if (!pods.some((x) => x.name === n)) throw fail(`Error from server (NotFound): pods "${n}" not found`);
      pods = pods.filter((x) => names.includes(x.name));
    }
    if (pods.length === 0 && !output) {
      err(all ? 'No resources found\n' : `No resources found in ${ns} namespace.\n`);
      return;
    }
    objects = pods.map(podObject);
    table = () => podsTable(pods, now, output === 'wide', all, noHeaders);
    names2 = pods.map((x) => `pod/${x.name}`);
  }
  const single = names.length === 1 && objects.length === 1;
  if (output === 'json')
    out(JSON.stringify(single ? objects[0] : { apiVersion: 'v1', items: objects, kind: 'List', metadata: { resourceVersion: '' } }, null, 4) + '\n');
  else if (output === 'yaml') {
    const { stringify } = await import('yaml');
    out(stringify(single ? objects[0] : { apiVersion: 'v1', items: objects, kind: 'List', metadata: { resourceVersion: '' } }));
  } else if (output === 'name') out(names2.map((n) => `${n}\n`).join(''));
  else out(table());
}

async function setUnschedulable(p: ParsedCommand, env: SimEnv, value: boolean): Promise<void> {
  const name = p.args[0] as string;
  const { store } = await connect(p, env);
  const already = await store.update((s) => {
    const n = s?.nodes.find((x) => x.name === name);
    if (!s || !n) throw nodeNotFound(name);
    if (n.unschedulable === value) return { result: true };
    return { next: { ...s, nodes: s.nodes.map((x) => (x.name === name ? { ...x, unschedulable: value } : x)) }, result: false };
  });
  out(`node/${name} ${already ? 'already ' : ''}${value ? 'cordoned' : 'uncordoned'}\n`);
}

async function runDrain(p: ParsedCommand, env: SimEnv): Promise<void> {
  const name = p.args[0] as string;
  const { store, state } = await connect(p, env);
  if (!state.nodes.some((n) => n.name === name)) throw nodeNotFound(name);
  await setUnschedulable(p, env, true);
  const before = store.read() ?? state;
  const pods = podsOf(before, observe(before)).filter((x) => x.nodeName === name);
  const ds = pods.filter((x) => x.kind === 'daemonset').map((x) => `${x.namespace}/${x.name}`);
  if (ds.length && !getBool(p, 'ignore-daemonsets')) {
    const reason = `cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): ${ds.join(', ')}`;
    throw fail(
      `error: unable to drain node "${name}" due to error: ${reason}, continuing command...\nThere are pending nodes to be drained:\n ${name}\n${reason}`,
    );
  }
  if (ds.length) err(`Warning: ignoring DaemonSet-managed Pods: ${ds.join(', ')}\n`);
  const evict = pods.filter((x) => x.kind === 'deployment');
  for (const x of evict) err(`evicting pod ${x.namespace}/${x.name}\n`);
  for (const x of evict) out(`pod/${x.name} evicted\n`);
  out(`node/${name} drained\n`);
}

async function runDelete(p: ParsedCommand, env: SimEnv): Promise<void> {
  const { kind, name: slashName } = resourceKind(p.args[0], p.path);
  if (kind !== 'nodes') throw fail('kubeadm-sim: kubectl delete supports nodes only');
  const names = slashName ? [slashName] : p.args.slice(1);
  if (names.length === 0) throw fail('error: resource(s) were provided, but no name was specified');
  const { store } = await connect(p, env);
  for (const name of names) {
    const found = await store.update((s) => {
      if (!s?.nodes.some((n) => n.name === name)) return { result: false };
      return { next: { ...s, nodes: s.nodes.filter((n) => n.name !== name) }, result: true };
    });
    if (!found) {
      if (getBool(p, 'ignore-not-found')) continue;
      throw nodeNotFound(name);
    }
    out(`node "${name}" deleted\n`);
  }
}

async function main(argv: string[]): Promise<number> {
  const started = Date.now();
  let exitCode = 0;
  let env: SimEnv | null = null;
  try {
    env = readEnv();
    let p: ParsedCommand;
    try {
      p = parseCommandLine(KUBECTL_ROOT, argv);
    } catch (e) {
      if (e instanceof UsageError) {
        const verb = argv.find((a) => KUBECTL_ROOT.subcommands?.some((c) => c.name === a));
        const chain = chainFor(KUBECTL_ROOT, verb ? ['kubectl', verb] : ['kubectl']);
        throw kubectlUsage(
          chain.map((c) => c.name),
          e.message,
        );
      }
      throw e;
    }
    if (p.help) out(renderHelp(chainFor(KUBECTL_ROOT, p.path)));
    else {
      switch (p.path[1]) {
        case 'get':
          await runGet(p, env);
          break;
        case 'cordon':
          await setUnschedulable(p, env, true);
          break;
        case 'uncordon':
          await setUnschedulable(p, env, false);
          break;
        case 'drain':
          await runDrain(p, env);
          break;
        case 'delete':
          await runDelete(p, env);
          break;
        default:
          out(renderHelp([KUBECTL_ROOT]));
      }
    }
  } catch (e) {
    const failure =
      e instanceof SimFailure
        ? e
        : new SimFailure(
            `kubeadm-sim internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
            1,
            `kubeadm-sim internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
          );
    printFailure(failure.rawOutput === undefined ? new SimFailure(failure.message, failure.exitCode, `${failure.message}\n`) : failure);
    exitCode = failure.exitCode;
  }
  if (env) {
    const host = new StateStore(env.stateDir).read()?.nodes.find((n) => n.root === env?.root)?.name ?? null;
    logInvocation(env.logPath, { tool: 'kubectl', ts_start: started, ts_end: Date.now(), host, root: env.root, argv, exitCode });
  }
  return exitCode;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`kubeadm-sim kubectl: ${String(e)}\n`);
    process.exit(1);
  },
);
