import { describe, expect, it } from 'vitest';
import { isRenderedHaproxyConfig, readBackendSetVersion, withBackendSetVersion } from './config-version.js';

describe('backend-set version in haproxy.cfg', () => {
  const rendered = '# Managed by kubeadm-ha\n# backend-set-version: 12\n\nglobal\n    master-worker\n';

  it('reads the comment the renderer writes, and nothing else', () => {
    expect(readBackendSetVersion(rendered)).toBe(12);
    expect(readBackendSetVersion('global\n    master-worker\n')).toBeUndefined();
    expect(readBackendSetVersion('    # backend-set-version: 3\n')).toBeUndefined();
    expect(readBackendSetVersion('# backend-set-version: x\n')).toBeUndefined();
  });

  it('keeps a file that already says the version, adds the line to one that does not', () => {
    expect(withBackendSetVersion(rendered, 12)).toBe(rendered);
    const added = withBackendSetVersion('global\n', 4);
    expect(added).toBe('# backend-set-version: 4\nglobal\n');
    expect(readBackendSetVersion(added)).toBe(4);
  });

  it('refuses a file rendered for another version', () => {
    expect(() => withBackendSetVersion(rendered, 13)).toThrow(/12, not 13/);
  });
});

describe('a haproxy.cfg kubeadm-ha rendered', () => {
  it('is told by its first line from one the host came with', () => {
    expect(isRenderedHaproxyConfig('# Managed by kubeadm-ha: the TCP load balancer in front of every kube-apiserver of cluster prod.\n')).toBe(true);
    // Debian's haproxy package ships this one.
    expect(isRenderedHaproxyConfig('global\n\tlog /dev/log\tlocal0\n')).toBe(false);
    expect(isRenderedHaproxyConfig('global\n# Managed by kubeadm-ha: moved down by hand\n')).toBe(false);
    expect(isRenderedHaproxyConfig('')).toBe(false);
  });
});
