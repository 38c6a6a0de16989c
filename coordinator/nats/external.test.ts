import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KubeadmHaError } from '../../core/errors.js';
import { externalNatsFromFlags } from './external.js';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const files: Record<string, string> = { '/creds': '-----BEGIN NATS USER JWT-----\nx\n', '/ca.crt': CA, '/junk': 'hello' };
const read = async (path: string) => {
  const text = files[path];
  if (text === undefined) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
  return Buffer.from(text);
};

describe('externalNatsFromFlags', () => {
  it('is nothing without --nats-url, and refuses the NATS flags that only apply with it', async () => {
    expect(await externalNatsFromFlags({}, read)).toBeUndefined();
    await expect(externalNatsFromFlags({ ca: '/ca.crt' }, read)).rejects.toThrow('--nats-ca only apply with --nats-url');
    await expect(externalNatsFromFlags({ insecure: true, creds: '/creds' }, read)).rejects.toThrow('--nats-creds, --nats-insecure only apply');
  });

  it('requires TLS: --nats-ca, whose CA the coordinator and the agents verify the servers with, and every URL becomes tls://', async () => {
    const nats = await externalNatsFromFlags({ url: 'nats://198.18.0.5:4222, 198.18.0.6:4222,tls://n3:4222', creds: '/creds', ca: '/ca.crt' }, read);
    expect(nats?.url).toBe('tls://198.18.0.5:4222,tls://198.18.0.6:4222,tls://n3:4222');
    expect(nats?.tls).toEqual({ ca: CA });
    await expect(externalNatsFromFlags({ url: 'nats://n:4222', creds: '/creds' }, read)).rejects.toThrow(
      /needs --nats-ca FILE .*--nats-insecure allows plaintext/,
    );
  });

  it('allows plaintext only with --nats-insecure, never together with --nats-ca or a tls:// URL', async () => {
    const nats = await externalNatsFromFlags({ url: 'nats://n:4222', creds: '/creds', insecure: true }, read);
    expect(nats).toEqual({ url: 'nats://n:4222', credentials: { kind: 'creds', creds: expect.any(Uint8Array) } });
    await expect(externalNatsFromFlags({ url: 'nats://n:4222', creds: '/creds', insecure: true, ca: '/ca.crt' }, read)).rejects.toThrow(/contradict/);
    await expect(externalNatsFromFlags({ url: 'tls://n:4222', creds: '/creds', insecure: true }, read)).rejects.toThrow(/--nats-insecure with a tls:\/\/ URL/);
  });

  it('names the flag of a file it cannot use, and refuses other schemes and a missing --nats-creds', async () => {
    await expect(externalNatsFromFlags({ url: 'nats://n:4222', creds: '/creds', ca: '/missing' }, read)).rejects.toThrow('--nats-ca /missing: ENOENT');
    await expect(externalNatsFromFlags({ url: 'nats://n:4222', creds: '/creds', ca: '/junk' }, read)).rejects.toThrow('holds no PEM certificate');
    await expect(externalNatsFromFlags({ url: 'ws://n:4222', creds: '/creds', ca: '/ca.crt' }, read)).rejects.toThrow('is not nats:// or tls://');
    await expect(externalNatsFromFlags({ url: 'nats://n:4222', ca: '/ca.crt' }, read)).rejects.toBeInstanceOf(KubeadmHaError);
  });
});

describe('kubeadm-ha-coordinator with a bad NATS flag combination', () => {
  it('exits non-zero with one line on stderr and no stack trace, before touching the data dir', () => {
    const root = join(import.meta.dirname, '..', '..');
    const res = spawnSync(
      join(root, 'node_modules/.bin/vite-node'),
      [
        join(root, 'coordinator/main.ts'),
        '--cluster',
        'prod',
        '--listen',
        '127.0.0.1:9443',
        '--data-dir',
        '/nonexistent/kha',
        '--nats-url',
        'nats://198.18.0.5:4222',
        '--nats-creds',
        '/dev/null',
      ],
      { cwd: root, encoding: 'utf8', timeout: 30_000 },
    );
    expect(res.status).toBe(1);
    const lines = res.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^kubeadm-ha-coordinator: --nats-url needs --nats-ca FILE/);
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });
});
