import { describe, expect, it } from 'vitest';
import { REDACTED, redactArgv, redactSecrets } from './redact.js';

const TOKEN = 'k7x2qa.9f3mzr0c4tq8wd1e';
const KEY = 'e4c1d2b3a4f5e6d7c8b9a0f1e2d3c4b5a6f7e8d9c0b1a2f3e4d5c6b7a8f9e0d1';

describe('redactSecrets', () => {
  it('uses one placeholder and keeps the public ID of a bootstrap token', () => {
    expect(REDACTED).toBe('<redacted>');
    expect(redactSecrets(`created token ${TOKEN}`)).toBe('created token k7x2qa.<redacted>');
    expect(redactSecrets(`${TOKEN} ${TOKEN}`)).toBe('k7x2qa.<redacted> k7x2qa.<redacted>');
  });

  it('masks certificate keys, bare or named, but not the public sha256 CA hash', () => {
    expect(redactSecrets(`--certificate-key ${KEY}`)).toBe('--certificate-key <redacted>');
    expect(redactSecrets(`--certificate-key=${KEY}`)).toBe('--certificate-key=<redacted>');
    expect(redactSecrets(`certificateKey:${KEY}`)).toBe('certificateKey:<redacted>');
    expect(redactSecrets(`certificateKey: "${KEY}"`)).toBe('certificateKey: "<redacted>"');
    expect(redactSecrets(`${KEY}\n`)).toBe('<redacted>\n');
    expect(redactSecrets(`key is ${KEY}.`)).toBe('key is <redacted>.');
    expect(redactSecrets(`--discovery-token-ca-cert-hash sha256:${KEY}`)).toBe(`--discovery-token-ca-cert-hash sha256:${KEY}`);
    // Longer hex runs (a 65th digit) are something else, e.g. a digest of another size.
    expect(redactSecrets(`${KEY}0`)).toBe(`${KEY}0`);
  });

  it('masks PEM private keys, whole or cut off, and keeps certificates', () => {
    const pem = '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----';
    expect(redactSecrets(`key:\n${pem}\ndone`)).toBe('key:\n<redacted>\ndone');
    expect(redactSecrets('tail: -----BEGIN PRIVATE KEY-----\nMIGH')).toBe('tail: <redacted>');
    const cert = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
    expect(redactSecrets(cert)).toBe(cert);
  });

  it('masks the known secret values a caller passes, whatever their shape, but not ones too short to be safe', () => {
    expect(redactSecrets('password hunter22 accepted', ['hunter22'])).toBe('password <redacted> accepted');
    expect(redactSecrets('a b c', ['b'])).toBe('a b c');
    expect(redactSecrets('nothing secret here: /etc/kubernetes/admin.conf')).toBe('nothing secret here: /etc/kubernetes/admin.conf');
  });
});

describe('redactArgv', () => {
  it('masks secret flags in both forms and secret-shaped positionals, and leaves the input alone', () => {
    const argv = ['kubeadm', 'join', '--token', TOKEN, `--certificate-key=${KEY}`, '--discovery-token-ca-cert-hash', `sha256:${KEY}`];
    const masked = ['kubeadm', 'join', '--token', 'k7x2qa.<redacted>', '--certificate-key=<redacted>', '--discovery-token-ca-cert-hash', `sha256:${KEY}`];
    expect(redactArgv(argv)).toEqual(masked);
    expect(argv[3]).toBe(TOKEN);
    expect(redactArgv(['kubeadm', 'token', 'delete', 'k7x2qa'])).toEqual(['kubeadm', 'token', 'delete', 'k7x2qa']);
  });

  it('masks secrets inside other arguments and known secret values', () => {
    expect(redactArgv(['sh', '-c', `echo ${TOKEN}`])).toEqual(['sh', '-c', 'echo k7x2qa.<redacted>']);
    expect(redactArgv(['curl', '-u', 'admin:s3cr3t-pass'], ['s3cr3t-pass'])).toEqual(['curl', '-u', 'admin:<redacted>']);
  });
});
