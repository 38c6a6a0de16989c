import { describe, expect, it } from 'vitest';
import { containerId, runCrictl, type CrictlContainer } from './crictl.js';

const PODS: CrictlContainer[] = [
  { name: 'haproxy', podName: 'haproxy-master-0', namespace: 'kube-system', running: true, instance: '101' },
  { name: 'keepalived', podName: 'keepalived-master-0', namespace: 'kube-system', running: false, instance: '3' },
  { name: 'haproxy', podName: 'haproxy-x', namespace: 'default', running: true, instance: '7' },
];
const ARGV = [
  '--runtime-endpoint',
  'unix:///run/containerd/containerd.sock',
  'ps',
  '--quiet',
  '--state',
  'running',
  '--name',
  '^(keepalived|haproxy|kube-vip)$',
  '--label',
  'io.kubernetes.pod.namespace=kube-system',
];

describe('crictl stand-in', () => {
  it('answers the agent query with the running kube-system containers, full ids, one per line', () => {
    const r = runCrictl(ARGV, PODS);
    expect(r).toEqual({ exitCode: 0, stdout: `${containerId(PODS[0]!)}\n`, stderr: '' });
    expect(containerId(PODS[0]!)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('lists only running containers by default, every state with -a, and filters by state and name', () => {
    expect(runCrictl(['ps', '-q'], PODS).stdout.trim().split('\n')).toHaveLength(2);
    expect(runCrictl(['ps', '-q', '-a'], PODS).stdout.trim().split('\n')).toHaveLength(3);
    expect(runCrictl(['ps', '-q', '--state=exited'], PODS).stdout).toBe(`${containerId(PODS[1]!)}\n`);
    expect(runCrictl(['-r', 'unix:///x', 'ps', '-q', '--name', '^keepalived$'], PODS).stdout).toBe('');
    expect(runCrictl(['ps'], PODS).stdout).toMatch(/^CONTAINER\tSTATE\tNAME\tPOD\n[0-9a-f]{13}\tRunning\thaproxy\thaproxy-master-0\n/);
  });

  it('fails the way crictl does on what it does not know', () => {
    expect(runCrictl(['ps', '--bogus'], PODS)).toMatchObject({
      exitCode: 1,
      stderr: expect.stringMatching(/^Incorrect Usage: flag provided but not defined: --bogus/),
    });
    expect(runCrictl(['ps', '--state', 'sleeping'], PODS)).toMatchObject({ exitCode: 1, stderr: expect.stringContaining('state should be one of') });
    expect(runCrictl(['ps', '--label', 'novalue'], PODS)).toMatchObject({ exitCode: 1 });
    expect(runCrictl(['--runtime-endpoint'], PODS)).toMatchObject({ exitCode: 1, stderr: expect.stringContaining('flag needs an argument') });
    expect(runCrictl(['rmp', '-f'], PODS)).toMatchObject({ exitCode: 1 });
  });
});
