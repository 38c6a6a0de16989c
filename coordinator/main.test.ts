import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
// The built daemon, as the e2e runs it (`npm test` builds first): a vite-node start costs seconds per spawn.
const coordinator = (...args: string[]) =>
  spawnSync(process.execPath, [join(root, 'dist/coordinator/main.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 30_000 });

describe('kubeadm-ha-coordinator --lb-apply-timeout and --drain-timeout', () => {
  it('is listed in --help', () => {
    const res = coordinator('--help');
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/--lb-apply-timeout DUR .*load balancer/);
    expect(res.stdout).toMatch(/--drain-timeout DUR .*drained apiserver/);
  });

  it('refuses a value that is not a duration of at least 1s in one line, before touching the data dir', () => {
    for (const bad of ['500ms', 'soon']) {
      const res = coordinator('--cluster', 'prod', '--listen', '127.0.0.1:9443', '--data-dir', '/nonexistent/kha', '--lb-apply-timeout', bad);
      expect(res.status).toBe(2);
      expect(res.stderr.trim().split('\n')).toEqual([`kubeadm-ha-coordinator: --lb-apply-timeout must be a duration of at least 1s (e.g. 60s), not "${bad}"`]);
    }
    const drain = coordinator('--cluster', 'prod', '--listen', '127.0.0.1:9443', '--data-dir', '/nonexistent/kha', '--drain-timeout', 'a while');
    expect(drain.status).toBe(2);
    expect(drain.stderr.trim().split('\n')).toEqual([
      'kubeadm-ha-coordinator: --drain-timeout must be a duration (e.g. 15s, or 0s not to wait), not "a while"',
    ]);
  });
});
