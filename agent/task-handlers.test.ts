/**
 * The allow-list end to end: the real agent session client with its real task handlers and HostOps (under a temporary
 * host root), driven by the real coordinator-side hub over mTLS. What a coordinator sends is refused on the host.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuthError } from '../core/errors.js';
import { silentLogger } from '../lib/log.js';
import { startTestCoordinator, testFacts, TEST_TOKENS, type TestCoordinator } from '../test/support/grpc-testing.js';
import { LocalHostOps } from './hostops.js';
import { AgentSession } from './session-client.js';
import { createTaskHandlers } from './task-handlers.js';

/** Every entry under `dir` with its content, so "nothing changed" means nothing at all. */
function snapshot(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => {
      const path = join(dir, e.name);
      if (e.isDirectory()) return [`${prefix}${e.name}/`, ...snapshot(path, `${prefix}${e.name}/`)];
      return [`${prefix}${e.name}: ${readFileSync(path, 'utf8')}`];
    });
}

describe('writeFiles over a real session: the coordinator reaches only the allow-list', () => {
  let coordinator: TestCoordinator;
  let stateRoot: string;
  let hostRoot: string;
  let agent: AgentSession | undefined;

  beforeAll(() => {
    stateRoot = mkdtempSync(join(tmpdir(), 'agent-trust-state-'));
  });
  afterAll(() => rmSync(stateRoot, { recursive: true, force: true }));
  beforeEach(async () => {
    hostRoot = mkdtempSync(join(tmpdir(), 'agent-trust-host-'));
    mkdirSync(join(hostRoot, 'etc/cron.d'), { recursive: true });
    mkdirSync(join(hostRoot, 'etc/kubeadm-ha'), { recursive: true });
    writeFileSync(join(hostRoot, 'etc/shadow'), 'root:*:19000:0:99999:7:::\n', { mode: 0o640 });
    writeFileSync(join(hostRoot, 'etc/kubeadm-ha/agent.yaml'), 'coordinator: 127.0.0.1:9443\n', { mode: 0o600 });
    coordinator = await startTestCoordinator({ hub: { pingIntervalMs: 1_000 } });
    const host = new LocalHostOps(hostRoot, silentLogger);
    agent = new AgentSession({
      config: { coordinator: coordinator.address, token: TEST_TOKENS.any, caCertHash: coordinator.ca.pin, nodeName: 'w1', stateDir: join(stateRoot, 'w1') },
      agentVersion: '0.1.0-test',
      // Only preflight reports facts through the handlers; this test never sends one.
      handlers: createTaskHandlers({ host, gatherFacts: () => Promise.reject(new Error('not used')), appliedLbVersion: () => 0 }),
      gatherFacts: async () => testFacts('w1'),
      backoff: { initialMs: 50, maxMs: 200 },
    });
    const connected = new Promise<void>((resolve) => agent!.once('connected', () => resolve()));
    agent.start();
    await connected;
  });
  afterEach(async () => {
    await agent?.stop();
    await coordinator.close();
    rmSync(hostRoot, { recursive: true, force: true });
  });

  const refusal = (args: Parameters<TestCoordinator['hub']['runTask']>[2]) =>
    coordinator.hub.runTask('w1', 'writeFiles', args as never, { timeoutMs: 10_000 }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );

  it('refuses /etc/cron.d/evil and a removal of /etc, naming the path, and nothing changes under the host root', async () => {
    const before = snapshot(hostRoot);

    const write = await refusal({ files: [{ path: '/etc/cron.d/evil', mode: 0o644, content: Buffer.from('* * * * * root sh -c evil\n') }], removePaths: [] });
    expect(write).toBeInstanceOf(AuthError);
    expect(write?.message).toMatch(/^w1: refusing "\/etc\/cron\.d\/evil": not a file kubeadm-ha writes/);

    const remove = await refusal({ files: [], removePaths: ['/etc'] });
    expect(remove).toBeInstanceOf(AuthError);
    expect(remove?.message).toMatch(/refusing "\/etc": not a file kubeadm-ha writes/);

    // Allowed files in the same task go nowhere either: the task is refused whole.
    const mixed = await refusal({
      files: [{ path: '/etc/haproxy/haproxy.cfg', mode: 0o644, content: Buffer.from('global\n') }],
      removePaths: ['/etc/kubeadm-ha/agent.yaml'],
    });
    expect(mixed?.message).toContain('"/etc/kubeadm-ha/agent.yaml"');

    const setuid = await refusal({
      files: [{ path: '/etc/keepalived/check_apiserver.sh', mode: 0o4755, content: Buffer.from('#!/bin/sh\n') }],
      removePaths: [],
    });
    expect(setuid?.message).toMatch(/"\/etc\/keepalived\/check_apiserver\.sh": mode 04755 carries setuid/);

    const climb = await refusal({ files: [{ path: '/etc/kubeadm-ha/../../../escaped', mode: 0o600, content: Buffer.from('x') }], removePaths: [] });
    expect(climb?.message).toMatch(/"\.\." segment/);

    expect(snapshot(hostRoot)).toEqual(before);
    expect(existsSync(join(hostRoot, '..', 'escaped'))).toBe(false);
  });

  it('still writes the files it owns through the same path', async () => {
    const result = await coordinator.hub.runTask('w1', 'writeFiles', {
      files: [{ path: '/etc/kubeadm-ha/kubeadm.yaml', mode: 0o600, content: Buffer.from('kind: JoinConfiguration\n') }],
    });
    expect(result).toEqual({ changedPaths: ['/etc/kubeadm-ha/kubeadm.yaml'] });
    expect(readFileSync(join(hostRoot, 'etc/kubeadm-ha/kubeadm.yaml'), 'utf8')).toBe('kind: JoinConfiguration\n');
  });
});
