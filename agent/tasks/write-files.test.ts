import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuthError } from '../../core/errors.js';
import { ScriptedHostOps } from '../../test/support/scripted-host.js';
import { writeFiles } from './write-files.js';

/** Every file under `dir`, relative, sorted: what a refused task must leave exactly as it was. */
function tree(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() && !e.isSymbolicLink() ? tree(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]))
    .sort();
}

describe('writeFiles: the coordinator reaches only the allow-list', () => {
  let host: ScriptedHostOps;
  beforeEach(() => {
    host = new ScriptedHostOps();
    mkdirSync(join(host.root, 'etc/cron.d'), { recursive: true });
    writeFileSync(join(host.root, 'etc/shadow'), 'root:*:1::::::\n', { mode: 0o640 });
  });
  afterEach(() => host.dispose());

  it.each([['/etc/shadow'], ['/etc/cron.d/x'], ['/etc/kubernetes/../shadow'], ['/etc/kubeadm-ha/agent.yaml'], ['/usr/local/bin/kubectl']])(
    'refuses to write %s, naming it, and writes nothing of the task',
    async (path) => {
      const before = tree(host.root);
      const err = await writeFiles(host, [
        { path: '/etc/haproxy/haproxy.cfg', mode: 0o644, content: 'global\n' },
        { path, mode: 0o644, content: '* * * * * root sh -c evil\n' },
      ]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AuthError);
      expect((err as Error).message).toContain(JSON.stringify(path));
      expect(tree(host.root)).toEqual(before);
      expect(readFileSync(join(host.root, 'etc/shadow'), 'utf8')).toBe('root:*:1::::::\n');
    },
  );

  it.each([['/etc'], ['/'], ['/etc/kubeadm-ha'], ['/etc/kubernetes/manifests'], ['/var/lib/kubelet']])(
    'refuses to remove %s and removes nothing',
    async (path) => {
      await writeFiles(host, [{ path: '/etc/kubeadm-ha/kubeadm.yaml', mode: 0o600, content: 'x\n' }]);
      const before = tree(host.root);
      await expect(writeFiles(host, [], ['/etc/kubeadm-ha/kubeadm.yaml', path])).rejects.toThrow(AuthError);
      expect(tree(host.root)).toEqual(before);
    },
  );

  it.each(['4755', '2755', '1777', '666'])('refuses mode 0%s even on an allowed file', async (octal) => {
    const mode = Number.parseInt(octal, 8);
    const err = await writeFiles(host, [{ path: '/etc/keepalived/check_apiserver.sh', mode, content: '#!/bin/sh\n' }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as Error).message).toContain('"/etc/keepalived/check_apiserver.sh"');
    expect(existsSync(join(host.root, 'etc/keepalived/check_apiserver.sh'))).toBe(false);
  });

  it('refuses a secret file readable by others, and will not chmod an unchanged one to such a mode', async () => {
    await expect(writeFiles(host, [{ path: '/etc/kubeadm-ha/cluster.json', mode: 0o644, content: '{"authPass":"x"}' }])).rejects.toThrow(/can hold secrets/);
    await writeFiles(host, [{ path: '/var/lib/kubelet/config.json', mode: 0o600, content: '{}' }]);
    await expect(writeFiles(host, [{ path: '/var/lib/kubelet/config.json', mode: 0o644, content: '{}' }])).rejects.toThrow(AuthError);
    expect(statSync(join(host.root, 'var/lib/kubelet/config.json')).mode & 0o777).toBe(0o600);
  });

  it('refuses a symbolic link inside an allowed directory pointing out of it, for write and remove, before touching anything', async () => {
    mkdirSync(join(host.root, 'etc/kubeadm-ha'), { recursive: true });
    symlinkSync(join(host.root, 'etc/cron.d'), join(host.root, 'etc/kubeadm-ha/stopped-manifests'));
    symlinkSync(join(host.root, 'etc/shadow'), join(host.root, 'etc/kubeadm-ha/kubeadm.yaml'));
    const before = tree(host.root);

    const write = writeFiles(host, [
      { path: '/etc/haproxy/haproxy.cfg', mode: 0o644, content: 'global\n' },
      { path: '/etc/kubeadm-ha/stopped-manifests/evil', mode: 0o600, content: '* * * * * root sh\n' },
    ]);
    await expect(write).rejects.toThrow(/"\/etc\/kubeadm-ha\/stopped-manifests\/evil": \/etc\/kubeadm-ha\/stopped-manifests is a symbolic link/);
    // Same content as the link's target: an unchanged file must not become a chmod through the link.
    await expect(writeFiles(host, [{ path: '/etc/kubeadm-ha/kubeadm.yaml', mode: 0o600, content: 'root:*:1::::::\n' }])).rejects.toThrow(/symbolic link/);
    await expect(writeFiles(host, [], ['/etc/kubeadm-ha/stopped-manifests/keepalived.yaml'])).rejects.toThrow(/symbolic link/);
    await expect(writeFiles(host, [], ['/etc/kubeadm-ha/kubeadm.yaml'])).rejects.toThrow(/symbolic link/);

    expect(tree(host.root)).toEqual(before);
    expect(readdirSync(join(host.root, 'etc/cron.d'))).toEqual([]);
    expect(statSync(join(host.root, 'etc/shadow')).mode & 0o777).toBe(0o640);
  });

  it('writes, re-modes and removes the files it owns, reporting normalised paths', async () => {
    expect(
      await writeFiles(host, [
        { path: '/etc/haproxy/haproxy.cfg', mode: 0o644, content: 'global\n' },
        { path: '/etc//kubeadm-ha/./kubeadm.yaml', mode: 0o600, content: 'a: 1\n' },
      ]),
    ).toEqual(['/etc/haproxy/haproxy.cfg', '/etc/kubeadm-ha/kubeadm.yaml']);
    expect(await writeFiles(host, [{ path: '/etc/haproxy/haproxy.cfg', mode: 0o644, content: 'global\n' }])).toEqual([]);
    expect(await writeFiles(host, [{ path: '/etc/haproxy/haproxy.cfg', mode: 0o640, content: 'global\n' }])).toEqual(['/etc/haproxy/haproxy.cfg']);
    expect(await writeFiles(host, [], ['/etc/kubeadm-ha/kubeadm.yaml', '/etc/kubeadm-ha/cluster.json'])).toEqual(['/etc/kubeadm-ha/kubeadm.yaml']);
  });
});
