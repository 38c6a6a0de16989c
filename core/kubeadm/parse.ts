/**
 * Parsers for what kubeadm prints, written against kubeadm's own templates:
 * - cmd/kubeadm/app/cmd/util/join.go renders `kubeadm join <endpoint> --token <t> \` + newline + indented
 *   `--discovery-token-ca-cert-hash <h> \` (+ `--control-plane --certificate-key <k>`); `init` prints that form,
 *   `token create --print-join-command` strips the `\`-newlines and tabs but keeps the spaces and a trailing blank;
 * - the upload-certs phase prints `[upload-certs] Using certificate key:` and the key alone on the next line;
 * - preflight failures are `error execution phase preflight: [preflight] Some fatal errors occurred:` followed by
 *   tab-indented `[ERROR <Check>]: <message>` lines (a message may run over several lines).
 * Output holds secrets, so no error raised here quotes it.
 */
import { KubeadmHaError } from '../errors.js';
import { parseKubernetesVersion, type KubernetesVersion } from '../spec.js';
import { bootstrapTokenId, isBootstrapToken, isCaCertHash, isCertificateKey } from './tokens.js';

export interface JoinCommand {
  /** `host:port` as kubeadm prints it (IPv6 in brackets). */
  readonly endpoint: string;
  readonly token: string;
  readonly caCertHashes: readonly string[];
  readonly controlPlane: boolean;
  readonly certificateKey?: string;
}

const JOIN_VALUE_FLAGS = new Set(['--token', '--discovery-token-ca-cert-hash', '--certificate-key']);

/** Undo shell line continuations (`\` at the end of a line, with or without trailing blanks, CRLF or LF). */
function joinContinuations(text: string): string {
  return text.replace(/\\[ \t]*\r?\n/g, ' ');
}

function parseJoinLine(line: string, source: string): JoinCommand {
  const words = line.trim().split(/\s+/).slice(2); // past `kubeadm join`
  let endpoint: string | undefined;
  let token: string | undefined;
  let certificateKey: string | undefined;
  let controlPlane = false;
  const caCertHashes: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const eq = word.indexOf('=');
    const flag = word.startsWith('--') && eq > 0 ? word.slice(0, eq) : word;
    if (JOIN_VALUE_FLAGS.has(flag)) {
      const value = eq > 0 && flag !== word ? word.slice(eq + 1) : words[++i];
      if (value === undefined) throw new KubeadmHaError(`${source}: the join command ends after ${flag} without its value`);
      if (flag === '--token') token = value;
      else if (flag === '--certificate-key') certificateKey = value;
      else caCertHashes.push(value);
    } else if (word === '--control-plane') controlPlane = true;
    else if (!word.startsWith('-') && endpoint === undefined) endpoint = word;
  }
  if (endpoint === undefined || !/^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):\d{1,5}$/.test(endpoint)) {
    throw new KubeadmHaError(`${source}: the join command has no host:port API server endpoint`);
  }
  if (token === undefined || !isBootstrapToken(token)) {
    throw new KubeadmHaError(
      `${source}: the join command has no bootstrap token of the form [a-z0-9]{6}.[a-z0-9]{16} (was it printed with --skip-token-print?)`,
    );
  }
  if (caCertHashes.length === 0 || !caCertHashes.every(isCaCertHash)) {
    throw new KubeadmHaError(`${source}: the join command has no valid --discovery-token-ca-cert-hash sha256:<hex>`);
  }
  if (certificateKey !== undefined && !isCertificateKey(certificateKey)) {
    throw new KubeadmHaError(`${source}: the join command's --certificate-key is not 64 hex digits (was it printed with --skip-certificate-key-print?)`);
  }
  return { endpoint, token, caCertHashes, controlPlane, ...(certificateKey !== undefined ? { certificateKey } : {}) };
}

/** Every `kubeadm join …` command in the output, continuation lines joined, in the order printed. */
export function parseJoinCommands(output: string, source = 'kubeadm output'): JoinCommand[] {
  const commands: JoinCommand[] = [];
  for (const line of joinContinuations(output).split(/\r?\n/)) {
    const at = line.search(/\bkubeadm\s+join\s/);
    if (at >= 0) commands.push(parseJoinLine(line.slice(at), source));
  }
  return commands;
}

/** The one join command `kubeadm token create --print-join-command` prints. */
export function parseJoinCommand(output: string, source = 'kubeadm token create --print-join-command'): JoinCommand {
  const commands = parseJoinCommands(output, source);
  if (commands.length !== 1) throw new KubeadmHaError(`${source}: expected exactly one "kubeadm join" command in the output, found ${commands.length}`);
  return commands[0]!;
}

const USING_KEY_RE = /^\s*\[upload-certs\] Using certificate key:\s*$/;

/** The key on the line after `[upload-certs] Using certificate key:`, if that line is there. */
function keyAfterAnnouncement(lines: readonly string[]): string | undefined {
  for (let i = 0; i < lines.length; i++) {
    if (!USING_KEY_RE.test(lines[i]!)) continue;
    const next = lines.slice(i + 1).find((l) => l.trim() !== '');
    const key = next?.trim();
    if (key !== undefined && isCertificateKey(key)) return key;
  }
  return undefined;
}

/**
 * The certificate key printed by `kubeadm init phase upload-certs --upload-certs` (or `kubeadm certs
 * certificate-key`): the line after the announcement, else the last line that is nothing but 64 hex digits.
 */
export function parseCertificateKey(output: string, source = 'kubeadm init phase upload-certs'): string {
  const lines = output.split(/\r?\n/);
  const announced = keyAfterAnnouncement(lines);
  if (announced) return announced;
  const last = lines
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .at(-1);
  if (last !== undefined && isCertificateKey(last)) return last;
  throw new KubeadmHaError(`${source}: no certificate key (64 hex digits) in the output (was it run with --skip-certificate-key-print?)`);
}

export interface InitOutput {
  /** From `[upload-certs] Using certificate key:`; absent with --skip-certificate-key-print or without --upload-certs. */
  readonly certificateKey?: string;
  /** From `[bootstrap-token] Using token: …`. */
  readonly token?: string;
  readonly controlPlaneJoin?: JoinCommand;
  readonly workerJoin?: JoinCommand;
}

/** What a successful `kubeadm init --upload-certs` printed: the key and the two join commands. */
export function parseInitOutput(output: string, source = 'kubeadm init'): InitOutput {
  const lines = output.split(/\r?\n/);
  const certificateKey = keyAfterAnnouncement(lines);
  const token = lines.map((l) => /^\s*\[bootstrap-token\] Using token: (\S+)\s*$/.exec(l)?.[1]).find((t) => t !== undefined && isBootstrapToken(t));
  // With --skip-token-print the commands carry "<value withheld>"; there is nothing to parse then.
  const joins = /<value withheld>/.test(output) ? [] : parseJoinCommands(output, source);
  const controlPlaneJoin = joins.find((j) => j.controlPlane);
  const workerJoin = joins.find((j) => !j.controlPlane);
  return {
    ...(certificateKey ? { certificateKey } : {}),
    ...(token ? { token } : {}),
    ...(controlPlaneJoin ? { controlPlaneJoin } : {}),
    ...(workerJoin ? { workerJoin } : {}),
  };
}

export interface KubeadmVersion {
  /** As printed, e.g. `v1.31.4`. */
  readonly text: string;
  readonly version: KubernetesVersion;
}

/** `kubeadm version -o short`: the last line that is a version (klog warnings may precede it on a merged stream). */
export function parseVersionShort(output: string, source = 'kubeadm version -o short'): KubeadmVersion {
  const lines = output
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  for (let i = lines.length - 1; i >= 0; i--) {
    const text = lines[i]!;
    if (!/^v\d/.test(text)) continue;
    const version = parseKubernetesVersion(text);
    if (version) return { text, version };
  }
  throw new KubeadmHaError(`${source}: no version like v1.31.4 in the output`);
}

/** `abcdef.0123456789abcdef` → `abcdef`. */
export function tokenIdOf(token: string): string {
  return bootstrapTokenId(token);
}

export interface PreflightProblem {
  /** kubeadm's check name, the one `--ignore-preflight-errors` takes (`Port-6443`, `DirAvailable--var-lib-etcd`). */
  readonly check: string;
  readonly message: string;
}

function parsePreflightLines(output: string, level: 'ERROR' | 'WARNING'): PreflightProblem[] {
  const start = new RegExp(`^\\s*\\[${level}(?: ([^\\]]+))?\\]:?\\s?(.*)$`);
  const problems: { check: string; lines: string[] }[] = [];
  let open: { check: string; lines: string[] } | undefined;
  for (const raw of output.split(/\r?\n/)) {
    const m = start.exec(raw);
    if (m) {
      open = { check: m[1] ?? '', lines: [m[2]!.trim()] };
      problems.push(open);
      continue;
    }
    const line = raw.trim();
    // A message continues until a blank line, the next bracketed line, or kubeadm's closing sentences.
    if (!open || line === '' || line.startsWith('[') || /^(error execution phase|To see the stack trace)/.test(line)) {
      open = undefined;
      continue;
    }
    open.lines.push(line);
  }
  return problems.map((p) => ({ check: p.check, message: p.lines.join('\n') }));
}

/** The `[ERROR <Check>]: <message>` items of a failed preflight. */
export function parsePreflightErrors(output: string): PreflightProblem[] {
  return parsePreflightLines(output, 'ERROR');
}

/** The `[WARNING <Check>]: <message>` items; kubeadm goes on after these. */
export function parsePreflightWarnings(output: string): PreflightProblem[] {
  return parsePreflightLines(output, 'WARNING');
}

/** What an operator should do about the preflight errors kubeadm-ha runs into most. */
export function preflightHint(check: string): string | undefined {
  if (check === 'DirAvailable--etc-kubernetes-manifests') {
    return 'static pod manifests are already there; kubeadm-ha ignores this on control-plane joins (its load-balancer pods live there), elsewhere it is a leftover of an earlier install: run /etc/kubeadm-ha/cleanup.sh';
  }
  if (/^Port-\d+$/.test(check))
    return 'the port is taken, usually by a component of an earlier install; run /etc/kubeadm-ha/cleanup.sh or stop whatever listens there';
  if (check === 'Swap') return 'swap is on; kubeadm-ha preflight runs swapoff -a and comments swap out of /etc/fstab';
  if (check.startsWith('FileContent--proc-sys-net-bridge'))
    return 'br_netfilter is not loaded; modprobe br_netfilter (kubeadm-ha preflight loads it and persists it)';
  if (check.startsWith('FileContent--proc-sys-net-ipv'))
    return 'IP forwarding is off; kubeadm-ha preflight writes /etc/sysctl.d/99-kubeadm-ha.conf and applies it';
  if (/^(FileAvailable--etc-kubernetes-|DirAvailable--var-lib-etcd)/.test(check))
    return 'files of an earlier kubeadm install are present; run /etc/kubeadm-ha/cleanup.sh (kubeadm reset) first';
  if (check === 'CRI' || check === 'ContainerRuntimeVersion')
    return 'the container runtime does not answer on the configured criSocket; check that containerd/CRI-O runs and that spec.kubernetes.criSocket points at it';
  if (check.startsWith('FileExisting-'))
    return `the ${check.slice('FileExisting-'.length)} binary is missing; install it with the distribution's package manager`;
  if (check === 'ImagePull')
    return 'an image could not be pulled; check spec.kubernetes.imageRepository and the registry credentials in /var/lib/kubelet/config.json';
  if (check === 'NumCPU' || check === 'Mem') return "the host is below kubeadm's minimum for a control-plane node (2 CPUs, 1700 MB)";
  if (check === 'KubeletVersion') return 'the kubelet version does not match the Kubernetes version of the spec';
  return undefined;
}

/** One line per failed check with its hint, for an error message. */
export function formatPreflightErrors(problems: readonly PreflightProblem[]): string {
  return problems
    .map((p) => {
      const hint = preflightHint(p.check);
      return `[${p.check || 'preflight'}] ${p.message.replace(/\n/g, ' ')}${hint ? ` (${hint})` : ''}`;
    })
    .join('\n');
}

/** One row of `kubeadm certs check-expiration`. */
export interface CertificateExpiry {
  readonly name: string;
  /** Undefined for a `!MISSING!` row. */
  readonly notAfter?: Date;
  /** The signing CA's name (`ca`, `etcd-ca`, `front-proxy-ca`); '' for a CA itself or a missing row. */
  readonly authority: string;
  readonly externallyManaged: boolean;
  readonly missing: boolean;
}

export interface CheckExpirationOutput {
  readonly certificates: readonly CertificateExpiry[];
  readonly authorities: readonly CertificateExpiry[];
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const EXPIRES_RE = /^([A-Z][a-z]{2}) (\d{2}), (\d{4}) (\d{2}):(\d{2}) UTC$/;

function parseExpires(text: string, source: string): Date {
  const m = EXPIRES_RE.exec(text);
  const month = m ? MONTHS.indexOf(m[1]!) : -1;
  if (!m || month < 0) throw new KubeadmHaError(`${source}: EXPIRES ${JSON.stringify(text.slice(0, 40))} is not "Jan 02, 2006 15:04 UTC"`);
  return new Date(Date.UTC(Number(m[3]), month, Number(m[2]), Number(m[4]), Number(m[5])));
}

/**
 * `kubeadm certs check-expiration`'s two tables (cmd/kubeadm/app/cmd/certs.go): columns are separated by runs of at
 * least three spaces (Go's tabwriter, padding 3), so the EXPIRES date, which holds single spaces, stays one cell.
 * Anything that is not those tables (the configuration lines above them) is skipped; a table without its header fails.
 */
export function parseCheckExpiration(output: string, source = 'kubeadm certs check-expiration'): CheckExpirationOutput {
  const lines = output.split('\n').map((l) => l.trimEnd());
  const certHeader = lines.findIndex((l) => /^CERTIFICATE {3,}EXPIRES {3,}RESIDUAL TIME {3,}CERTIFICATE AUTHORITY {3,}EXTERNALLY MANAGED$/.test(l));
  const caHeader = lines.findIndex((l) => /^CERTIFICATE AUTHORITY {3,}EXPIRES {3,}RESIDUAL TIME {3,}EXTERNALLY MANAGED$/.test(l));
  if (certHeader < 0 || caHeader < certHeader) throw new KubeadmHaError(`${source}: no certificate table (CERTIFICATE … EXTERNALLY MANAGED) in the output`);
  const rows = (from: number, withAuthority: boolean): CertificateExpiry[] => {
    const out: CertificateExpiry[] = [];
    for (const line of lines.slice(from + 1)) {
      if (line === '') break;
      const missing = /^!MISSING! (\S+)$/.exec(line);
      if (missing) {
        out.push({ name: missing[1]!, authority: '', externallyManaged: false, missing: true });
        continue;
      }
      const cells = line.split(/ {3,}/);
      if (cells.length !== (withAuthority ? 5 : 4)) throw new KubeadmHaError(`${source}: unexpected row ${JSON.stringify(line.slice(0, 120))}`);
      out.push({
        name: cells[0]!,
        notAfter: parseExpires(cells[1]!, source),
        authority: withAuthority ? cells[3]! : '',
        externallyManaged: cells[withAuthority ? 4 : 3] === 'yes',
        missing: false,
      });
    }
    return out;
  };
  return { certificates: rows(certHeader, true), authorities: rows(caHeader, false) };
}
