import { describe, expect, it } from 'vitest';
import { KubeadmHaError } from '../errors.js';
import { checkNodeName, deleteCertsSecretArgv, deleteNodeArgv, drainNodeArgv, getNodeArgv, getNodeJsonArgv } from './kubectl.js';

const BUILDERS = [getNodeArgv, (n: string) => drainNodeArgv(n, 300), deleteNodeArgv];

describe('kubectl argv', () => {
  it('puts the node name after "--", as the last word', () => {
    expect(getNodeArgv('master-2')).toEqual(['kubectl', '--kubeconfig', '/etc/kubernetes/admin.conf', 'get', 'node', '-o', 'name', '--', 'master-2']);
    expect(drainNodeArgv('master-2', 300)).toEqual([
      'kubectl',
      '--kubeconfig',
      '/etc/kubernetes/admin.conf',
      'drain',
      '--ignore-daemonsets',
      '--delete-emptydir-data',
      '--force',
      '--timeout=300s',
      '--',
      'master-2',
    ]);
    expect(deleteNodeArgv('node-1.example.test')).toEqual([
      'kubectl',
      '--kubeconfig',
      '/etc/kubernetes/admin.conf',
      'delete',
      'node',
      '--',
      'node-1.example.test',
    ]);
    expect(deleteCertsSecretArgv().slice(-2)).toEqual(['--', 'kubeadm-certs']);
  });

  it.each([['-x'], ['--all'], ['--selector=role=master'], ['-l'], [''], ['Master-0'], ['a b'], ['a'.repeat(254)], ['node_1']])(
    'refuses %j before any argv exists, so it can never reach kubectl as a flag',
    (name) => {
      for (const build of BUILDERS) {
        expect(() => build(name)).toThrow(KubeadmHaError);
        expect(() => build(name)).toThrow(/is not a node name/);
      }
      expect(() => checkNodeName(name)).toThrow(JSON.stringify(name));
    },
  );

  it('refuses a drain timeout that is not whole seconds', () => {
    expect(() => drainNodeArgv('w1', 0)).toThrow(/drain timeout/);
    expect(() => drainNodeArgv('w1', 1.5)).toThrow(/drain timeout/);
  });
});

describe('kubectl --server', () => {
  it('asks the given apiserver, before the subcommand; refuses anything but https://host:port', () => {
    expect(getNodeJsonArgv('master-1', 'https://198.18.0.11:6443')).toEqual([
      'kubectl',
      '--kubeconfig',
      '/etc/kubernetes/admin.conf',
      '--server',
      'https://198.18.0.11:6443',
      'get',
      'node',
      '-o',
      'json',
      '--',
      'master-1',
    ]);
    expect(drainNodeArgv('w', 30, 'https://[fd00::1]:6443').slice(3, 5)).toEqual(['--server', 'https://[fd00::1]:6443']);
    expect(deleteNodeArgv('w')).not.toContain('--server');
    for (const bad of ['http://198.18.0.11:6443', 'https://x:6443 --insecure-skip-tls-verify', '--insecure-skip-tls-verify', 'https://x'])
      expect(() => getNodeArgv('w', bad)).toThrow(/refusing kubectl --server/);
  });
});
