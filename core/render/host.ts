/**
 * The host files kubeadm needs around it: the kubelet systemd drop-in (and unit) for a kubelet that no package
 * installed, kernel modules and sysctls that survive a reboot, the registry credentials kubelet reads, and the swap
 * lines of /etc/fstab. Pure: the agent reads and writes, this only decides contents.
 *
 * No net.ipv4.ip_nonlocal_bind: haproxy binds the wildcard address (`*:<lb port>`), and keepalived and kube-vip add the
 * VIP themselves before anything uses it, so nothing ever binds an address the host does not have.
 */
import ipaddr from 'ipaddr.js';
import { KubeadmHaError, SpecError, type SpecIssue } from '../errors.js';
import { type CONNTRACK_FALLBACK, KERNEL_MODULES, MODULES_LOAD_PATH, SYSCTLS, SYSCTL_PATH } from '../host/kernel.js';
import { renderTemplate } from './template.js';
import type { RenderedFile, RenderTarget } from './types.js';
import { KUBELET_REGISTRY_AUTH_PATH } from '../host/paths.js';

export const KUBELET_DROP_IN_PATH = '/etc/systemd/system/kubelet.service.d/10-kubeadm.conf';
export const KUBELET_UNIT_PATH = '/etc/systemd/system/kubelet.service';
export { MODULES_LOAD_PATH, SYSCTL_PATH };

export const DEFAULT_KUBELET_PATH = '/usr/bin/kubelet';
/** Debian's; RPM-based hosts use /etc/sysconfig/kubelet. */
export const DEFAULT_KUBELET_ENVIRONMENT_FILE = '/etc/default/kubelet';

export interface KubeletInstall {
  /** A deb/rpm kubelet ships its own unit and drop-in; writing ours next to it would fight the package. */
  readonly installedByPackageManager: boolean;
  /** A unit already exists (hand-installed); only the drop-in is written then. */
  readonly unitPresent?: boolean;
  readonly binaryPath?: string;
  readonly environmentFile?: string;
}

function systemdPath(what: string, path: string): string {
  // ExecStart splits on whitespace and EnvironmentFile takes one absolute path.
  if (!/^\/[^\s"'\\$%]*$/.test(path))
    throw new KubeadmHaError(`kubelet drop-in: ${what} must be an absolute path without spaces or quotes, got ${JSON.stringify(path)}`);
  return path;
}

/** /etc/systemd/system/kubelet.service.d/10-kubeadm.conf, seed 000's text with its broken `$KUBELET_EXT RA_ARGS` wrap fixed. */
export function renderKubeletDropIn(options: { binaryPath?: string; environmentFile?: string } = {}): RenderedFile {
  return {
    path: KUBELET_DROP_IN_PATH,
    mode: 0o644,
    content: renderTemplate('host/10-kubeadm.conf.hbs', {
      kubeletPath: systemdPath('the kubelet path', options.binaryPath ?? DEFAULT_KUBELET_PATH),
      environmentFile: systemdPath('the environment file', options.environmentFile ?? DEFAULT_KUBELET_ENVIRONMENT_FILE),
    }),
  };
}

/** The plain kubelet.service the Kubernetes packages ship; the drop-in adds kubeadm's flags to it. */
export function renderKubeletUnit(options: { binaryPath?: string } = {}): RenderedFile {
  return {
    path: KUBELET_UNIT_PATH,
    mode: 0o644,
    content: renderTemplate('host/kubelet.service.hbs', { kubeletPath: systemdPath('the kubelet path', options.binaryPath ?? DEFAULT_KUBELET_PATH) }),
  };
}

export type ConntrackModule = 'nf_conntrack' | typeof CONNTRACK_FALLBACK;

/**
 * /etc/modules-load.d/kubeadm-ha.conf. Which conntrack module exists is not a function of the kernel version (RHEL 8's
 * 4.18 has the 4.19 merge backported), so the agent passes the one modprobe actually loaded.
 */
export function renderModulesLoad(options: { conntrackModule?: ConntrackModule } = {}): RenderedFile {
  const conntrack = options.conntrackModule ?? 'nf_conntrack';
  const modules = KERNEL_MODULES.map((m) => (m === 'nf_conntrack' ? conntrack : m));
  return { path: MODULES_LOAD_PATH, mode: 0o644, content: renderTemplate('host/modules-load.conf.hbs', { modules }) };
}

/** /etc/sysctl.d/99-kubeadm-ha.conf; IPv6 nodes also need forwarding for IPv6, which kubeadm's preflight checks. */
export function renderSysctl(options: { ipv6?: boolean } = {}): RenderedFile {
  const sysctls: Record<string, string> = { ...SYSCTLS };
  if (options.ipv6) {
    sysctls['net.ipv6.conf.all.forwarding'] = '1';
    sysctls['net.ipv6.conf.default.forwarding'] = '1';
  }
  return {
    path: SYSCTL_PATH,
    mode: 0o644,
    content: renderTemplate('host/sysctl.conf.hbs', { sysctls: Object.entries(sysctls).map(([key, value]) => ({ key, value })) }),
  };
}

/** Where JSON.parse stopped, as line:column, without quoting the (secret) text as Node's own message would. */
function jsonErrorPosition(text: string, err: unknown): string {
  const m = /position (\d+)/.exec(err instanceof Error ? err.message : '');
  if (!m) return '';
  const before = text.slice(0, Number(m[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return ` (line ${line}, column ${column})`;
}

function registryAuthIssues(text: string): SpecIssue[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return [{ path: '(document)', message: `is not valid JSON${jsonErrorPosition(text, err)}; copy the config.json that \`docker login\` wrote` }];
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return [{ path: '(document)', message: 'must be a JSON object with an "auths" object' }];
  const { auths, credsStore } = doc as Record<string, unknown>;
  if (auths === null || typeof auths !== 'object' || Array.isArray(auths)) {
    return [{ path: 'auths', message: 'is missing or not an object; kubelet reads registry credentials only from "auths"' }];
  }
  const issues: SpecIssue[] = [];
  for (const [registry, entry] of Object.entries(auths as Record<string, unknown>)) {
    const path = `auths[${JSON.stringify(registry)}]`;
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      issues.push({ path, message: 'must be an object with "auth" or "username" and "password"' });
      continue;
    }
    const { auth, username, password } = entry as Record<string, unknown>;
    if (typeof auth === 'string' && auth !== '') {
      const decoded = /^[A-Za-z0-9+/]+={0,2}$/.test(auth) ? Buffer.from(auth, 'base64').toString('utf8') : '';
      if (!decoded.includes(':')) issues.push({ path: `${path}.auth`, message: 'is not base64 of "username:password"' });
    } else if (typeof username !== 'string' || username === '' || typeof password !== 'string') {
      const helper = typeof credsStore === 'string' ? ` (docker login put the secret in the "${credsStore}" credential store)` : '';
      issues.push({ path, message: `has no credentials${helper}; kubelet cannot use credential helpers: log in with a config.json that holds "auth"` });
    }
  }
  return issues;
}

/**
 * /var/lib/kubelet/config.json, mode 0600: `docker login` alone does not help kubelet, which reads only this file.
 * The content is copied byte for byte once it is known to be usable. `source` names the file in errors.
 */
export function renderRegistryAuth(source: string, text: string): RenderedFile {
  const issues = registryAuthIssues(text);
  if (issues.length > 0) throw new SpecError(source, issues);
  return { path: KUBELET_REGISTRY_AUTH_PATH, mode: 0o600, content: text };
}

function isActiveSwapLine(line: string): boolean {
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return false;
  return trimmed.split(/\s+/)[2] === 'swap';
}

/** The fstab lines that would turn swap back on at boot. */
export function activeSwapEntries(fstabText: string): string[] {
  return fstabText.split(/\r?\n/).filter(isActiveSwapLine);
}

/**
 * /etc/fstab with every active swap entry (type field `swap`) commented out with a leading `#`; every other byte,
 * line endings included, is kept. Running it on its own output changes nothing.
 */
export function commentOutSwap(fstabText: string): string {
  // split with a capture group keeps the separators, so CRLF files and a missing final newline survive unchanged.
  const parts = fstabText.split(/(\r?\n)/);
  for (let i = 0; i < parts.length; i += 2) {
    if (isActiveSwapLine(parts[i]!)) parts[i] = `#${parts[i]}`;
  }
  return parts.join('');
}

export interface HostFilesOptions {
  readonly kubelet: KubeletInstall;
  /** The registry config.json the spec names (spec.registryAuth.configJson), read by the caller. */
  readonly registryAuth?: { readonly source: string; readonly text: string };
  readonly conntrackModule?: ConntrackModule;
}

/** Which optional files we wrote; the cleanup script removes exactly those and nothing the host had before. */
export interface WrittenHostFiles {
  readonly kubeletDropIn: boolean;
  readonly kubeletUnit: boolean;
  readonly registryAuth: boolean;
}

/** Everything host-level for one node, and the record of what was written for cleanup. */
export function renderHostFiles(target: RenderTarget, options: HostFilesOptions): { files: RenderedFile[]; written: WrittenHostFiles } {
  const spec = target.plan.spec;
  if (spec.registryAuth && !options.registryAuth) {
    throw new KubeadmHaError(
      `host files: spec.registryAuth.configJson (${spec.registryAuth.configJson}) is set but its content was not passed to the renderer`,
    );
  }
  const files: RenderedFile[] = [
    renderModulesLoad({ conntrackModule: options.conntrackModule }),
    renderSysctl({ ipv6: ipaddr.parse(target.node.address).kind() === 'ipv6' }),
  ];
  const k = options.kubelet;
  const kubeletDropIn = !k.installedByPackageManager;
  const kubeletUnit = kubeletDropIn && !k.unitPresent;
  if (kubeletUnit) files.push(renderKubeletUnit({ binaryPath: k.binaryPath }));
  if (kubeletDropIn) files.push(renderKubeletDropIn({ binaryPath: k.binaryPath, environmentFile: k.environmentFile }));
  if (options.registryAuth) files.push(renderRegistryAuth(options.registryAuth.source, options.registryAuth.text));
  return { files, written: { kubeletDropIn, kubeletUnit, registryAuth: options.registryAuth !== undefined } };
}
