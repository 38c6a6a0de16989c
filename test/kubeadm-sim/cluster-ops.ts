/**
 * Cluster-level operations shared by the simulated commands: bootstrap tokens, the kubeadm-certs
 * Secret, preflight checks, config loading and the discovery checks of `kubeadm join`.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { ConfigError, parseKubeadmConfig, type ParsedConfigFile } from './config.js';
import { decryptBytes, encryptBytes } from './pki.js';
import { checkName, preflightErrorText, preflightWarningLine, type PreflightFailure } from './output.js';
import { err, hostPath, phaseFailure, readHostFile, SimFailure, warn } from './env.js';
import type { ClusterState, TokenState } from './state.js';

const TOKEN_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomString(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += TOKEN_CHARS[randomInt(TOKEN_CHARS.length)];
  return s;
}

/** bootstraputil.GenerateBootstrapToken */
export function generateBootstrapToken(): string {
  return `${randomString(6)}.${randomString(16)}`;
}

/** copycerts.CreateCertificateKey: 32 random bytes, hex. */
export function generateCertificateKey(): string {
  return randomBytes(32).toString('hex');
}

export function tokenString(t: TokenState): string {
  return `${t.id}.${t.secret}`;
}

/** Creates or replaces a token (CreateOrUpdate of the bootstrap-token-<id> Secret). */
export function putToken(s: ClusterState, t: TokenState): ClusterState {
  return { ...s, tokens: [...s.tokens.filter((x) => x.id !== t.id), t] };
}

export const KUBEADM_CERTS_PROXY_DESCRIPTION = 'Proxy for managing TTL for the kubeadm-certs secret';

/** copycerts.UploadCerts: encrypts the shared files under `keyHex`, owned by a short-lived token. */
export function uploadCerts(s: ClusterState, files: Record<string, string>, keyHex: string, ttlMs: number, nowMs: number): ClusterState {
  const proxy: TokenState = {
    id: randomString(6),
    secret: randomString(16),
    expiresAtMs: nowMs + ttlMs,
    usages: [],
    groups: [],
    description: KUBEADM_CERTS_PROXY_DESCRIPTION,
    createdAtMs: nowMs,
  };
  const data: Record<string, string> = {};
  for (const [name, content] of Object.entries(files)) data[name.replaceAll('/', '-')] = encryptBytes(Buffer.from(content), keyHex).toString('base64');
  return { ...putToken(s, proxy), kubeadmCerts: { data, expiresAtMs: nowMs + ttlMs, ownerTokenId: proxy.id } };
}

/** copycerts.DownloadCerts, with kubeadm's error texts. Returns file name → content. */
export function downloadCerts(s: ClusterState, keyHex: string, wanted: readonly string[]): Record<string, string> {
  if (!s.kubeadmCerts) {
    throw new Error(
      'error downloading the secret: Secret "kubeadm-certs" was not found in the "kube-system" Namespace. This Secret might have expired. Please, run `kubeadm init phase upload-certs --upload-certs` on a control plane to generate a new one',
    );
  }
  const outFiles: Record<string, string> = {};
  try {
    for (const [name, b64] of Object.entries(s.kubeadmCerts.data)) outFiles[name] = decryptBytes(Buffer.from(b64, 'base64'), keyHex).toString();
  } catch (e) {
    throw new Error(`error decoding secret data with provided key: ${(e as Error).message}`);
  }
  const result: Record<string, string> = {};
  for (const w of wanted) {
    const v = outFiles[w.replaceAll('/', '-')];
    if (v === undefined) throw new Error(`the Secret does not include the required certificate or key - name: ${w}, path: /etc/kubernetes/pki/${w}`);
    result[w] = v;
  }
  return result;
}

export interface Check {
  name: string;
  /** Returns the error message, or null when the check passes. */
  run: () => Promise<string | null> | string | null;
}

export function fileAvailable(root: string, path: string): Check {
  return { name: checkName('FileAvailable', path), run: () => (existsSync(hostPath(root, path)) ? `${path} already exists` : null) };
}

export function dirAvailable(root: string, path: string): Check {
  return {
    name: checkName('DirAvailable', path),
    run: () => {
      const full = hostPath(root, path);
      if (!existsSync(full) || !statSync(full).isDirectory()) return null;
      return readdirSync(full).length > 0 ? `${path} is not empty` : null;
    },
  };
}

/** PortOpenCheck, bound to the advertise address so that simulated hosts sharing one network stack do not collide. */
export function portOpen(address: string, port: number): Check {
  return {
    name: `Port-${port}`,
    run: () =>
      new Promise((resolve) => {
        const srv = createServer();
        srv.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'EADDRINUSE' ? `Port ${port} is in use` : null));
        srv.listen(port, address, () => srv.close(() => resolve(null)));
      }),
  };
}

/** preflight.RunChecks: warnings for ignored failures, a preflight phase error for the others. */
export async function runChecks(checks: Check[], ignored: Set<string>): Promise<void> {
  const failures: PreflightFailure[] = [];
  for (const c of checks) {
    const message = await c.run();
    if (message === null) continue;
    if (ignored.has('all') || ignored.has(c.name.toLowerCase())) err(preflightWarningLine({ name: c.name, message }));
    else failures.push({ name: c.name, message });
  }
  if (failures.length > 0) throw phaseFailure('preflight', preflightErrorText(failures));
}

/** Reads and parses `--config`, printing kubeadm's warnings. */
export function loadConfigFile(root: string, path: string, purpose: 'init' | 'join' | 'reset', version: string): ParsedConfigFile {
  const text = readHostFile(root, path);
  if (text === null) throw new SimFailure(`unable to read config from ${JSON.stringify(path)} : open ${path}: no such file or directory`);
  try {
    const parsed = parseKubeadmConfig(text, purpose, version);
    for (const w of parsed.warnings) warn(w.startsWith('[config]') ? 'initconfiguration.go:334' : 'common.go:101', w);
    return parsed;
  } catch (e) {
    if (e instanceof ConfigError) throw new SimFailure(e.message, e.exitCode);
    throw e;
  }
}

/** utilerrors.Aggregate's message. */
export function aggregate(errors: string[]): string {
  return errors.length === 1 ? (errors[0] as string) : `[${errors.join(', ')}]`;
}

/** pubkeypin.Set.Allow for one pin; returns the normalised hex or an error text. */
export function parsePin(pin: string): { hex: string } | { error: string } {
  const idx = pin.indexOf(':');
  if (idx < 0) return { error: 'invalid hash, expected "format:value"' };
  const format = pin.slice(0, idx);
  const value = pin.slice(idx + 1);
  if (format.toLowerCase() !== 'sha256') return { error: `unknown hash format ${JSON.stringify(format)}` };
  if (!/^[0-9a-fA-F]*$/.test(value) || value.length % 2 === 1) return { error: `invalid hash ${JSON.stringify(value)}: encoding/hex: invalid byte` };
  if (value.length !== 64) return { error: `invalid hash ${JSON.stringify(value)}, expected a 32 byte SHA-256 hash, found ${value.length / 2} bytes` };
  return { hex: value.toLowerCase() };
}
