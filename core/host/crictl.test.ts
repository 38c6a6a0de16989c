import { describe, expect, it } from 'vitest';
import { LB_CONTAINER_NAMES, parseContainerIds, parseContainerInspect, runningContainersArgv } from './crictl.js';

describe('crictl argv and output', () => {
  it('asks for running kube-system containers named exactly like ours, ids only', () => {
    expect(runningContainersArgv('unix:///run/containerd/containerd.sock', LB_CONTAINER_NAMES)).toEqual([
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
    ]);
  });

  it('refuses a CRI socket that would read as a flag', () => {
    for (const bad of ['-x', '--help', '', 'unix:///a b']) expect(() => runningContainersArgv(bad, LB_CONTAINER_NAMES)).toThrow(/not a CRI socket/);
  });

  it('refuses a name that would widen the pattern', () => {
    expect(() => runningContainersArgv('unix:///x.sock', ['haproxy|.*'])).toThrow(/not a container name/);
  });

  it('reads ids and ignores anything else crictl may print (warnings about a default endpoint)', () => {
    const id = 'a'.repeat(64);
    const out = `WARN[0000] runtime connect using default endpoints: [unix:///run/containerd/containerd.sock]\n${id}\n3f4e5d6c7b8a9\n\n`;
    expect(parseContainerIds(out)).toEqual([id, '3f4e5d6c7b8a9']);
    expect(parseContainerIds('')).toEqual([]);
  });
});

describe('crictl inspect', () => {
  it('an exited container without an integer exit code did not succeed (-1), and a document without a state is refused', () => {
    expect(parseContainerInspect('{"status":{"state":"CONTAINER_EXITED","exitCode":0}}')).toEqual({ state: 'CONTAINER_EXITED', exitCode: 0 });
    expect(parseContainerInspect('{"status":{"state":"CONTAINER_EXITED"}}').exitCode).toBe(-1);
    expect(parseContainerInspect('{"status":{"state":"CONTAINER_EXITED","exitCode":"0"}}').exitCode).toBe(-1);
    expect(parseContainerInspect('{"status":{"state":"CONTAINER_EXITED","exitCode":0.5}}').exitCode).toBe(-1);
    expect(() => parseContainerInspect('{"status":{}}')).toThrow('crictl inspect printed no status.state');
    expect(() => parseContainerInspect('not json')).toThrow('crictl inspect did not print JSON');
  });
});
