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
  const agentKeys = new Map<string, { name: string }>();
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
      list: async () => new Map([...agents].map(([id, value]) => [id, { value, revision: 1 }])),
    },
    agentKeys: {
      get: async (id: string) => (agentKeys.has(id) ? { value: agentKeys.get(id), revision: 1 } : undefined),
      put: async (id: string, value: { name: string }) => void agentKeys.set(id, value),
      update: async (id: string, fn: (current: { name: string } | undefined) => unknown) => {
        const next = fn(agentKeys.get(id));
        if (next === DELETE) agentKeys.delete(id);
        else if (next !== UNCHANGED) agentKeys.set(id, next as { name: string });
        const value = agentKeys.get(id);
        return value ? { value, revision: 1 } : undefined;
      },
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
  return { cluster, agents, tombstones, agentKeys, state };
}

/** What the registry asks of NATS: JWTs issued (by key) and keys revoked. */
function memoryNatsUsers() {
  const issued: string[] = [];
  const revoked = new Set<string>();
  const hooks = { whileSigning: async () => undefined as void, failRevoke: false };
  const directory: AgentUserDirectory = {
    issueAgentJwt: async (key, name, cluster) => {
      issued.push(key);
      await hooks.whileSigning();
      return `jwt-for-${key}-${name}-${cluster}`;
    },
    revokeAgentKey: async (key) => {
      if (hooks.failRevoke) throw new Error('nats-server refused the account update');
      revoked.add(key);
    },
  };
  return { issued, revoked, directory, hooks };
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
  it('a record that cannot be written changes nothing: the registered host keeps its key, nothing is revoked', async () => {
    const { registry, nats, agents, state } = registryUnderTest();
    await registry.put(agent(KEY_A));
    state.failPut = true;
    await expect(registry.put(agent(KEY_B))).rejects.toThrow(/timeout/);
    expect(nats.revoked.size).toBe(0);
    expect(agents.get('worker-0')?.nkeyPublicKey).toBe(KEY_A);
    expect(await registry.natsUserJwt('worker-0')).toBe(`jwt-for-${KEY_A}-worker-0-prod`);
  });

  it('registering the name again under a new key revokes the old key: a reinstalled host leaves no second identity', async () => {
    const { registry, nats } = registryUnderTest();
    await registry.put(agent(KEY_A));
    await registry.put(agent(KEY_A));
    expect(nats.revoked.size).toBe(0);
    await registry.put(agent(KEY_B));
    expect([...nats.revoked]).toEqual([KEY_A]);
    expect(await registry.natsUserJwt('worker-0')).toBe(`jwt-for-${KEY_B}-worker-0-prod`);
  });

  it('refuses a host that presents another agent key (one key, one agent); the owner keeps it; a revoked owner frees it', async () => {
    const { registry, nats, agents, agentKeys } = registryUnderTest();
    await registry.put(agent(KEY_A));
    await expect(registry.put({ ...agent(KEY_A), name: 'worker-1' })).rejects.toThrow(/its NATS key is already the key of agent "worker-0"/);
    expect(agents.has('worker-1')).toBe(false);
    expect(agentKeys.get(KEY_A)).toEqual({ name: 'worker-0' });
    expect(nats.revoked.size).toBe(0);
    // A new key for worker-0 releases the old one from the index (and revokes it on NATS).
    await registry.put(agent(KEY_B));
    expect(agentKeys.has(KEY_A)).toBe(false);
    expect(agentKeys.get(KEY_B)).toEqual({ name: 'worker-0' });
    await registry.revoke('worker-0', 'remove-node');
    expect(agentKeys.size).toBe(0);
  });

  it('a failed record write gives back the key it claimed', async () => {
    const { registry, agentKeys, state } = registryUnderTest();
    state.failPut = true;
    await expect(registry.put(agent(KEY_A))).rejects.toThrow(/timeout/);
    expect(agentKeys.size).toBe(0);
  });

  it('indexes the keys of agents registered before the index, and reports two agents sharing one', async () => {
    const { registry, agents, agentKeys } = registryUnderTest();
    await registry.put(agent(KEY_A));
    agentKeys.clear();
    agents.set('worker-1', { ...agents.get('worker-0')!, name: 'worker-1' });
    const conflicts = await registry.indexAgentKeys();
    expect(agentKeys.get(KEY_A)).toEqual({ name: 'worker-0' });
    expect(conflicts).toEqual(['worker-1 and worker-0 share a NATS key']);
  });

  it('issues a JWT only for a registered name, for the key on record', async () => {
    const { registry, nats } = registryUnderTest();
    expect(await registry.natsUserJwt('worker-0')).toBeUndefined();
    expect(nats.issued).toEqual([]);
    await registry.put(agent(KEY_A));
    expect(await registry.natsUserJwt('worker-0')).toBe(`jwt-for-${KEY_A}-worker-0-prod`);
  });

  it('revoke leaves a tombstone, revokes the NATS key and removes the record; a later registration clears the tombstone', async () => {
    const { registry, nats, agents, tombstones } = registryUnderTest();
    await registry.put(agent(KEY_A));
    expect(await registry.revoke('worker-0', 'remove-node')).toBe(true);
    expect(agents.size).toBe(0);
    expect([...nats.revoked]).toEqual([KEY_A]);
    expect(await registry.natsUserJwt('worker-0')).toBeUndefined();
    expect(await registry.tombstone('worker-0')).toEqual({ revokedAt: new Date('2026-12-03T10:00:00Z'), reason: 'remove-node' });
    await registry.put({ ...agent(KEY_B), registeredAt: '2026-12-03T11:00:00.000Z' });
    expect(tombstones.size).toBe(0);
  });

  it('a registration that started before a revocation landed loses to it: no record, its key revoked, tombstone kept', async () => {
    const { registry, nats, agents, tombstones } = registryUnderTest();
    await registry.revoke('worker-0', 'forgotten by an operator');
    await expect(registry.put({ ...agent(KEY_A), registeredAt: '2026-12-03T09:59:59.000Z' })).rejects.toThrow(/was revoked while it registered/);
    expect(agents.size).toBe(0);
    expect([...nats.revoked]).toEqual([KEY_A]);
    expect(await registry.natsUserJwt('worker-0')).toBeUndefined();
    expect(tombstones.size).toBe(1);
  });

  it('issues no JWT while a revocation of the name is under way: tombstone written, key not yet revoked, record not yet deleted', async () => {
    const { registry, nats, tombstones } = registryUnderTest();
    await registry.put(agent(KEY_A));
    tombstones.set('worker-0', { name: 'worker-0', revokedAt: '2026-12-03T10:00:00.000Z', reason: 'remove-node' });
    expect(await registry.natsUserJwt('worker-0')).toBeUndefined();
    expect(nats.issued).toEqual([]);
  });

  it('throws away a JWT signed while a revocation began, or while the name was registered again under another key', async () => {
    const { registry, nats, tombstones, agents } = registryUnderTest();
    await registry.put(agent(KEY_A));
    nats.hooks.whileSigning = async () => void tombstones.set('worker-0', { name: 'worker-0', revokedAt: '2026-12-03T10:00:00.000Z', reason: 'remove-node' });
    expect(await registry.natsUserJwt('worker-0')).toBeUndefined();
    expect(nats.issued).toEqual([KEY_A]);
    tombstones.clear();
    nats.hooks.whileSigning = async () => void agents.set('worker-0', { ...agents.get('worker-0')!, nkeyPublicKey: KEY_B });
    expect(await registry.natsUserJwt('worker-0')).toBeUndefined();
  });

  it('a revocation whose NATS push failed still gets no JWT issued for the key at the next session start', async () => {
    const { registry, nats, agents } = registryUnderTest();
    await registry.put(agent(KEY_A));
    nats.hooks.failRevoke = true;
    await expect(registry.revoke('worker-0', 'remove-node')).rejects.toThrow(/refused the account update/);
    expect(agents.has('worker-0')).toBe(true);
    expect(await registry.natsUserJwt('worker-0')).toBeUndefined();
  });
});
