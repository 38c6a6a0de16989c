/**
 * Bulk task output over a real session (the agent's session client and the coordinator's hub, over mTLS): chunks
 * arrive in order and complete before the result, each within the bound; data for a task that streams none fails it.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TASK_DATA_CHUNK_BYTES } from '../lib/grpc/limits.js';
import { startTestCoordinator, testFacts, TEST_TOKENS, type TestCoordinator } from '../test/support/grpc-testing.js';
import { AgentSession } from './session-client.js';

describe('TaskProgress.data over a real session', () => {
  let coordinator: TestCoordinator;
  let agent: AgentSession;
  const state = mkdtempSync(join(tmpdir(), 'agent-data-'));
  const CHUNKS = 6;

  beforeAll(async () => {
    coordinator = await startTestCoordinator({ hub: { pingIntervalMs: 1_000 } });
    agent = new AgentSession({
      config: { coordinator: coordinator.address, token: TEST_TOKENS.any, caCertHash: coordinator.ca.pin, nodeName: 'm1', stateDir: state },
      agentVersion: '0.1.0-test',
      handlers: {
        async etcdSnapshot(_args, ctx) {
          const hash = createHash('sha256');
          for (let i = 0; i < CHUNKS; i++) {
            const chunk = Buffer.alloc(TASK_DATA_CHUNK_BYTES, i);
            hash.update(chunk);
            await ctx.data(chunk);
          }
          return { size: CHUNKS * TASK_DATA_CHUNK_BYTES, sha256: hash.digest('hex'), revision: 7, memberId: '1', memberName: 'm1' };
        },
        async etcdStatus(_args, ctx) {
          await ctx.data(Buffer.from('not asked for'));
          return { members: [], membersError: '', endpointError: 'x', alarms: [], alarmsError: '' };
        },
      },
      gatherFacts: async () => testFacts('m1'),
      backoff: { initialMs: 50, maxMs: 200 },
    });
    const connected = new Promise<void>((resolve) => agent.once('connected', () => resolve()));
    agent.start();
    await connected;
  }, 30_000);

  afterAll(async () => {
    await agent.stop();
    await coordinator.close();
    rmSync(state, { recursive: true, force: true });
  });

  it('delivers every chunk in order before the result', async () => {
    const received: Buffer[] = [];
    const result = await coordinator.hub.runTask('m1', 'etcdSnapshot', { address: '127.0.0.1' }, { timeoutMs: 20_000, onData: (c) => void received.push(c) });
    expect(received.map((c) => [c.length, c[0]])).toEqual(Array.from({ length: CHUNKS }, (_, i) => [TASK_DATA_CHUNK_BYTES, i]));
    expect(result.sha256).toBe(createHash('sha256').update(Buffer.concat(received)).digest('hex'));
  });

  it('fails a task whose consumer refuses the data, and one that sends data nobody asked for', async () => {
    await expect(
      coordinator.hub.runTask(
        'm1',
        'etcdSnapshot',
        { address: '127.0.0.1' },
        {
          timeoutMs: 20_000,
          onData: () => {
            throw new Error('over the bound');
          },
        },
      ),
    ).rejects.toThrow(/over the bound/);
    await expect(coordinator.hub.runTask('m1', 'etcdStatus', { address: '127.0.0.1' }, { timeoutMs: 20_000 })).rejects.toThrow(
      /the agent sent data for a task that streams none \(etcdStatus\)/,
    );
  });
});
