import { describe, expect, it } from 'vitest';
import type { AgentRecord as GrpcAgentRecord } from '../grpc/registry.js';
import type { AgentUserDirectory } from '../nats/server.js';
import { KvAgentRegistry } from './adapters.js';
import { DELETE, UNCHANGED, type AgentRecord, type ClusterState } from './store.js';

const KEY_A = `U${'A'.repeat(55)}`;
const KEY_B = `U${'B'.repeat(55)}`;

/** The agents and tombstones collections in memory; `failPut` makes the next agent record write fail as KV would. */
function memoryState() {
  const agents = new Map<string, AgentRecord>();
  const tombstones = new Map<string, unknown>();
  const state = { failPut: false };
  const cluster = {
    agents: {
      get: async (id: string) => (agents.has(id) ? { value: agents.get(id)!, revision: 1 } : undefined),
      put: async (id: string, value: AgentRecord) => {
        if (state.failPut) throw new Error('JetStream: timeout');
        agents.set(id, value);
        return 1;
      },
      delete: async (id: string) => void agents.delete(id),
    },
    tombstones: {
      get: async (id: string) => (tombstones.has(id) ? { value: tombstones.get(id), revision: 1 } : undefined),
      put: async (id: string, value: unknown) => void tombstones.set(id, value),
      delete: async (id: string) => void tombstones.delete(id),
      update: async (id: string, fn: (current: unknown) => unknown) => {
        const next = fn(tombstones.get(id));
        if (next === DELETE) tombstones.delete(id);
        else if (next !== UNCHANGED) tombstones.set(id, next);
        return undefined;
      },
    },
  } as unknown as ClusterState;
  return { cluster, agents, tombstones, state };
}

function memoryNatsUsers() {
  const users = new Map<string, string>();
  const directory: AgentUserDirectory = {
    addAgentUser: async (key, name) => void users.set(name, key),
    removeAgentUser: async (keyOrName) => {
      for (const [name, key] of users) if (key === keyOrName || name === keyOrName) users.delete(name);
      return true;
    },
  };
  return { users, directory };
}

const agent = (key: string): GrpcAgentRecord => ({
  name: 'worker-0',
  role: 'worker',
  certFingerprint: 'a'.repeat(64),
  certSerial: '01',
  certNotAfter: '2027-01-01T00:00:00.000Z',
  natsNkeyPublic: key,
  facts: {} as GrpcAgentRecord['facts'],
  agentVersion: 'test',
  registeredAt: '2026-12-03T00:00:00.000Z',
  tokenId: 'abcdef',
});

/** The registry over in-memory state and NATS users; its clock reads 2026-12-03T10:00Z. */
function registryUnderTest() {
  const memory = memoryState();
  const nats = memoryNatsUsers();
  const registry = new KvAgentRegistry(
    () => memory.cluster,
    () => 'prod',
    nats.directory,
    () => new Date('2026-12-03T10:00:00Z'),
  );
  return { registry, nats, ...memory };
}

describe('KvAgentRegistry', () => {
  it('a record that cannot be written puts the previous NATS key back: the registered host is not locked out', async () => {
    const { registry, nats, agents, state } = registryUnderTest();
    await registry.put(agent(KEY_A));
    state.failPut = true;
    await expect(registry.put(agent(KEY_B))).rejects.toThrow(/timeout/);
    expect(nats.users.get('worker-0')).toBe(KEY_A);
    expect(agents.get('worker-0')?.nkeyPublicKey).toBe(KEY_A);
  });

  it('a first registration that cannot be written leaves no NATS user', async () => {
    const { registry, nats, state } = registryUnderTest();
    state.failPut = true;
    await expect(registry.put(agent(KEY_A))).rejects.toThrow(/timeout/);
    expect(nats.users.size).toBe(0);
  });

  it('revoke leaves a tombstone and removes the NATS user and the record; a later registration clears the tombstone', async () => {
    const { registry, nats, agents, tombstones } = registryUnderTest();
    await registry.put(agent(KEY_A));
    expect(await registry.revoke('worker-0', 'remove-node')).toBe(true);
    expect(agents.size).toBe(0);
    expect(nats.users.size).toBe(0);
    expect(await registry.tombstone('worker-0')).toEqual({ revokedAt: new Date('2026-12-03T10:00:00Z'), reason: 'remove-node' });
    await registry.put({ ...agent(KEY_B), registeredAt: '2026-12-03T11:00:00.000Z' });
    expect(tombstones.size).toBe(0);
  });

  it('a registration that started before a revocation landed loses to it: no record, no NATS user, tombstone kept', async () => {
    const { registry, nats, agents, tombstones } = registryUnderTest();
    await registry.revoke('worker-0', 'forgotten by an operator');
    await expect(registry.put({ ...agent(KEY_A), registeredAt: '2026-12-03T09:59:59.000Z' })).rejects.toThrow(/was revoked while it registered/);
    expect(agents.size).toBe(0);
    expect(nats.users.size).toBe(0);
    expect(tombstones.size).toBe(1);
  });
});
