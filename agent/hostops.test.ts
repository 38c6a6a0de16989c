import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuthError } from '../core/errors.js';
import { silentLogger } from '../lib/log.js';
import { LocalHostOps } from './hostops.js';

describe('LocalHostOps file methods under a host root', () => {
  let base: string;
  let root: string;
  let outside: string;
  let host: LocalHostOps;

  beforeEach(() => {
    // base/root is the host root; base/outside is a directory next to it that nothing may reach.
    base = mkdtempSync(join(tmpdir(), 'kha-hostops-'));
    root = join(base, 'root');
    outside = join(base, 'outside');
    mkdirSync(root);
    mkdirSync(outside);
    writeFileSync(join(outside, 'victim'), 'untouched\n');
    host = new LocalHostOps(root, silentLogger);
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  it('never climbs out of the root: a ".." path is refused for every method, and nothing is written or removed outside', async () => {
    const climbOut = '/../outside/victim';
    await expect(host.writeFile(climbOut, 'pwned\n', 0o644)).rejects.toThrow(AuthError);
    await expect(host.writeFile('/etc/../../outside/new', 'pwned\n', 0o644)).rejects.toThrow(/"\.\." segment/);
    await expect(host.remove(climbOut)).rejects.toThrow(AuthError);
    await expect(host.remove('/..')).rejects.toThrow(AuthError);
    await expect(host.chmod(climbOut, 0o600)).rejects.toThrow(AuthError);
    await expect(host.readFile(climbOut)).rejects.toThrow(AuthError);
    expect(await host.exists(climbOut)).toBe(false);
    expect(readFileSync(join(outside, 'victim'), 'utf8')).toBe('untouched\n');
    expect(statSync(join(outside, 'victim')).mode & 0o777).toBe(0o644);
    expect(existsSync(join(outside, 'new'))).toBe(false);
  });

  it('refuses to write, chmod or remove through a symbolic link inside a directory, naming the path and the link', async () => {
    mkdirSync(join(root, 'etc/kubeadm-ha'), { recursive: true });
    // A link planted inside an allowed directory, pointing out of the root.
    symlinkSync(outside, join(root, 'etc/kubeadm-ha/stopped-manifests'));
    symlinkSync(join(outside, 'victim'), join(root, 'etc/kubeadm-ha/kubeadm.yaml'));

    const write = await host.writeFile('/etc/kubeadm-ha/stopped-manifests/victim', 'pwned\n', 0o600).catch((e: unknown) => e);
    expect(write).toBeInstanceOf(AuthError);
    expect((write as Error).message).toBe(
      'refusing "/etc/kubeadm-ha/stopped-manifests/victim": /etc/kubeadm-ha/stopped-manifests is a symbolic link, and the agent never writes or removes through one',
    );
    await expect(host.writeFile('/etc/kubeadm-ha/stopped-manifests/new', 'pwned\n', 0o600)).rejects.toThrow(AuthError);
    await expect(host.remove('/etc/kubeadm-ha/stopped-manifests/victim')).rejects.toThrow(/symbolic link/);
    await expect(host.remove('/etc/kubeadm-ha/stopped-manifests')).rejects.toThrow(/symbolic link/);
    await expect(host.chmod('/etc/kubeadm-ha/kubeadm.yaml', 0o600)).rejects.toThrow(/kubeadm\.yaml is a symbolic link/);
    await expect(host.writeFile('/etc/kubeadm-ha/kubeadm.yaml', 'pwned\n', 0o600)).rejects.toThrow(/symbolic link/);
    await expect(host.checkMutable('/etc/kubeadm-ha/kubeadm.yaml')).rejects.toThrow(AuthError);

    expect(readFileSync(join(outside, 'victim'), 'utf8')).toBe('untouched\n');
    expect(statSync(join(outside, 'victim')).mode & 0o777).toBe(0o644);
    expect(existsSync(join(outside, 'new'))).toBe(false);
  });

  it.each(['4755', '2755', '1777', '666'])('refuses mode 0%s on write and chmod, whatever the path', async (octal) => {
    const mode = Number.parseInt(octal, 8);
    await expect(host.writeFile('/etc/haproxy/haproxy.cfg', 'x\n', mode)).rejects.toThrow(/"\/etc\/haproxy\/haproxy\.cfg": mode/);
    expect(existsSync(join(root, 'etc/haproxy/haproxy.cfg'))).toBe(false);
    await host.writeFile('/etc/haproxy/haproxy.cfg', 'x\n', 0o644);
    await expect(host.chmod('/etc/haproxy/haproxy.cfg', mode)).rejects.toThrow(AuthError);
    expect(statSync(join(root, 'etc/haproxy/haproxy.cfg')).mode & 0o7777).toBe(0o644);
  });

  it('refuses to remove the host root itself', async () => {
    await expect(host.remove('/')).rejects.toThrow(/the host root itself/);
    await expect(host.remove('//.')).rejects.toThrow(AuthError);
    expect(existsSync(root)).toBe(true);
  });

  it('still writes, chmods and removes ordinary paths, creating directories on the way', async () => {
    await host.writeFile('/etc/kubeadm-ha/kubeadm.yaml', 'a: 1\n', 0o600);
    expect(statSync(join(root, 'etc/kubeadm-ha/kubeadm.yaml')).mode & 0o7777).toBe(0o600);
    await host.chmod('/etc/kubeadm-ha/kubeadm.yaml', 0o400);
    expect(await host.mode('/etc/kubeadm-ha/kubeadm.yaml')).toBe(0o400);
    expect(await host.remove('/etc/kubeadm-ha/kubeadm.yaml')).toBe(true);
    expect(await host.remove('/etc/kubeadm-ha/kubeadm.yaml')).toBe(false);
  });
});
