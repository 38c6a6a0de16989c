import { describe, expect, it } from 'vitest';
import {
  certificateKeyArgv,
  IGNORE_MANIFESTS_DIR,
  initArgv,
  joinArgv,
  resetArgv,
  tokenCreateArgv,
  tokenDeleteArgv,
  uploadCertsArgv,
  versionArgv,
  type Argv,
} from './argv.js';
import { redactArgv } from '../redact.js';

const CONFIG = '/etc/kubeadm-ha/kubeadm.yaml';
const TOKEN = 'k7x2qa.9f3mzr0c4tq8wd1e';
const CERT_KEY = 'e4c1d2b3a4f5e6d7c8b9a0f1e2d3c4b5a6f7e8d9c0b1a2f3e4d5c6b7a8f9e0d1';

/**
 * kubeadm's validation.ValidateMixedArguments / isAllowedFlag (cmd/kubeadm/app/apis/kubeadm/validation/validation.go):
 * with --config, only these flags (and any skip-*) may be set.
 */
const ALLOWED_WITH_CONFIG = new Set([
  'config',
  'ignore-preflight-errors',
  'dry-run',
  'kubeconfig',
  'node-name',
  'kubeconfig-dir',
  'upload-certs',
  'print-join-command',
  'rootfs',
  'v',
  'log-file',
]);
function mixingError(argv: Argv): string | null {
  const flags = argv.filter((a) => a.startsWith('--')).map((a) => a.slice(2).split('=')[0]!);
  if (!flags.includes('config')) return null;
  const invalid = flags.filter((f) => !ALLOWED_WITH_CONFIG.has(f) && !f.startsWith('skip-'));
  return invalid.length > 0 ? `can not mix '--config' with arguments [${invalid.join(' ')}]` : null;
}

describe('kubeadm argv builders', () => {
  it('init uploads the certificates and reads everything else from the config', () => {
    expect(initArgv(CONFIG)).toEqual(['kubeadm', 'init', '--config', CONFIG, '--upload-certs']);
    expect(initArgv(CONFIG, { skipCertificateKeyPrint: true, skipTokenPrint: true })).toEqual([
      'kubeadm',
      'init',
      '--config',
      CONFIG,
      '--upload-certs',
      '--skip-certificate-key-print',
      '--skip-token-print',
    ]);
  });

  it('upload-certs takes the key from the config, never from --certificate-key', () => {
    const argv = uploadCertsArgv(CONFIG);
    expect(argv).toEqual(['kubeadm', 'init', 'phase', 'upload-certs', '--upload-certs', '--config', CONFIG]);
    expect(argv).not.toContain('--certificate-key');
    expect(uploadCertsArgv(CONFIG, { skipCertificateKeyPrint: true }).at(-1)).toBe('--skip-certificate-key-print');
  });

  it('token create uses either --config (TTL in the file) or --ttl, never both', () => {
    expect(tokenCreateArgv({ configPath: CONFIG })).toEqual(['kubeadm', 'token', 'create', '--print-join-command', '--config', CONFIG]);
    expect(tokenCreateArgv({ ttlMs: 15 * 60_000 })).toEqual(['kubeadm', 'token', 'create', '--print-join-command', '--ttl', '15m0s']);
    expect(tokenCreateArgv({ ttlMs: 2 * 3_600_000, description: 'join of master-1' })).toEqual([
      'kubeadm',
      'token',
      'create',
      '--print-join-command',
      '--ttl',
      '2h0m0s',
      '--description',
      'join of master-1',
    ]);
    expect(() => tokenCreateArgv({ ttlMs: 500 })).toThrow(/at least one second/);
  });

  it('token delete passes only the public token ID', () => {
    expect(tokenDeleteArgv(TOKEN)).toEqual(['kubeadm', 'token', 'delete', 'k7x2qa']);
    expect(tokenDeleteArgv('k7x2qa')).toEqual(['kubeadm', 'token', 'delete', 'k7x2qa']);
    expect(tokenDeleteArgv(TOKEN).join(' ')).not.toContain('9f3mzr0c4tq8wd1e');
    expect(() => tokenDeleteArgv('not-a-token')).toThrow(/bootstrap token/);
  });

  it('join ignores the manifests directory check on control-plane nodes only, and carries no credentials', () => {
    expect(joinArgv(CONFIG, 'control-plane')).toEqual(['kubeadm', 'join', '--config', CONFIG, `--ignore-preflight-errors=${IGNORE_MANIFESTS_DIR}`]);
    expect(IGNORE_MANIFESTS_DIR).toBe('DirAvailable--etc-kubernetes-manifests');
    expect(joinArgv(CONFIG, 'worker')).toEqual(['kubeadm', 'join', '--config', CONFIG]);
    for (const argv of [joinArgv(CONFIG, 'control-plane'), joinArgv(CONFIG, 'worker')]) {
      expect(argv.some((a) => /^--(token|certificate-key|discovery-token-ca-cert-hash)/.test(a))).toBe(false);
    }
  });

  it('reset, version and certificate-key', () => {
    expect(resetArgv()).toEqual(['kubeadm', 'reset', '-f']);
    expect(resetArgv({ criSocket: 'unix:///run/containerd/containerd.sock' })).toEqual([
      'kubeadm',
      'reset',
      '-f',
      '--cri-socket',
      'unix:///run/containerd/containerd.sock',
    ]);
    expect(versionArgv()).toEqual(['kubeadm', 'version', '-o', 'short']);
    expect(certificateKeyArgv()).toEqual(['kubeadm', 'certs', 'certificate-key']);
  });

  it('never mixes --config with flags kubeadm refuses next to it', () => {
    const all: Argv[] = [
      initArgv(CONFIG),
      initArgv(CONFIG, { skipCertificateKeyPrint: true, skipTokenPrint: true }),
      uploadCertsArgv(CONFIG),
      uploadCertsArgv(CONFIG, { skipCertificateKeyPrint: true }),
      tokenCreateArgv({ configPath: CONFIG }),
      joinArgv(CONFIG, 'control-plane'),
      joinArgv(CONFIG, 'worker'),
    ];
    for (const argv of all) expect(mixingError(argv), argv.join(' ')).toBeNull();
    // The check itself bites on the combination the field notes suggest and kubeadm rejects (kubernetes#87229).
    expect(mixingError(['kubeadm', 'init', 'phase', 'upload-certs', '--upload-certs', '--config', CONFIG, '--certificate-key', CERT_KEY])).toBe(
      "can not mix '--config' with arguments [certificate-key]",
    );
  });

  it('puts extra preflight checks to ignore into the one flag, refusing anything but a check name', () => {
    expect(joinArgv(CONFIG, 'control-plane', ['Swap'])).toEqual([
      'kubeadm',
      'join',
      '--config',
      CONFIG,
      `--ignore-preflight-errors=${IGNORE_MANIFESTS_DIR},Swap`,
    ]);
    expect(joinArgv(CONFIG, 'worker', ['Swap'])).toEqual(['kubeadm', 'join', '--config', CONFIG, '--ignore-preflight-errors=Swap']);
    for (const bad of ['--dry-run', '-v', 'Swap,all', 'a b', '']) expect(() => joinArgv(CONFIG, 'worker', [bad])).toThrow(/not a preflight check name/);
  });

  it('refuses values that would read as flags', () => {
    expect(() => initArgv('--dry-run')).toThrow(/does not start with "-"/);
    expect(() => joinArgv('', 'worker')).toThrow(/non-empty/);
    expect(() => resetArgv({ criSocket: '-x' })).toThrow(/CRI socket/);
  });
});

describe('redactArgv', () => {
  it('masks token and certificate-key values in both flag forms, keeping the public token ID', () => {
    const argv = [
      'kubeadm',
      'join',
      '198.18.0.100:8443',
      '--token',
      TOKEN,
      '--discovery-token-ca-cert-hash',
      'sha256:ab',
      '--control-plane',
      `--certificate-key=${CERT_KEY}`,
    ];
    expect(redactArgv(argv)).toEqual([
      'kubeadm',
      'join',
      '198.18.0.100:8443',
      '--token',
      'k7x2qa.<redacted>',
      '--discovery-token-ca-cert-hash',
      'sha256:ab',
      '--control-plane',
      '--certificate-key=<redacted>',
    ]);
    expect(argv[4]).toBe(TOKEN); // the input is not modified
  });

  it('masks positional secrets and leaves ordinary arguments alone', () => {
    expect(redactArgv(['kubeadm', 'token', 'create', TOKEN, '--ttl', '15m0s'])).toEqual(['kubeadm', 'token', 'create', 'k7x2qa.<redacted>', '--ttl', '15m0s']);
    expect(redactArgv(['kubeadm', 'certs', 'x', CERT_KEY])).toEqual(['kubeadm', 'certs', 'x', '<redacted>']);
    expect(redactArgv(['kubeadm', 'token', 'delete', 'k7x2qa'])).toEqual(['kubeadm', 'token', 'delete', 'k7x2qa']);
    expect(redactArgv(['kubeadm', '--token=garbage'])).toEqual(['kubeadm', '--token=<redacted>']);
    expect(redactArgv(['kubeadm', 'join', '--tls-bootstrap-token', 'abc'])).toEqual(['kubeadm', 'join', '--tls-bootstrap-token', '<redacted>']);
  });
});
