/**
 * The agents the embedded nats-server lets in, persisted beside its config. It lives in a file and
 * not in JetStream KV because the server needs the list before it starts, and KV needs the server.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { KubeadmHaError, PreconditionError } from '../../core/errors.js';
import { dns1123LabelProblem } from '../../core/validate.js';
import { isNkeyUserPublicKey } from '../../lib/nats/credentials.js';
import { writeFileAtomic } from './files.js';

export interface AgentUser {
  readonly publicKey: string;
  readonly agentName: string;
  readonly cluster: string;
}

const fileSchema = z.object({
  agents: z.array(z.object({ publicKey: z.string(), agentName: z.string(), cluster: z.string() })),
});

export function checkAgentUser(user: AgentUser): AgentUser {
  if (!isNkeyUserPublicKey(user.publicKey)) throw new KubeadmHaError(`agent "${user.agentName}": not an nkey user public key`);
  const nameProblem = dns1123LabelProblem(user.agentName);
  if (nameProblem) throw new KubeadmHaError(`agent name: ${nameProblem}`);
  const clusterProblem = dns1123LabelProblem(user.cluster);
  if (clusterProblem) throw new KubeadmHaError(`agent "${user.agentName}": cluster name: ${clusterProblem}`);
  return { publicKey: user.publicKey, agentName: user.agentName, cluster: user.cluster };
}

export async function loadAgentUsers(path: string): Promise<AgentUser[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  let parsed;
  try {
    parsed = fileSchema.parse(JSON.parse(text));
  } catch (err) {
    throw new KubeadmHaError(`${path} is corrupt: ${(err as Error).message}`, {}, { cause: err });
  }
  return parsed.agents.map(checkAgentUser);
}

export async function saveAgentUsers(path: string, users: readonly AgentUser[]): Promise<void> {
  const sorted = [...users].sort((a, b) => a.cluster.localeCompare(b.cluster) || a.agentName.localeCompare(b.agentName));
  await writeFileAtomic(path, JSON.stringify({ agents: sorted }, null, 2) + '\n', 0o600);
}

/**
 * The list with `user` in it. An agent has one key: re-registering with a new key replaces the old
 * one, so a reinstalled host does not leave a second identity behind.
 */
export function withAgentUser(users: readonly AgentUser[], user: AgentUser): AgentUser[] {
  // One key, one agent: a registration presenting another agent's public key would otherwise silently take its user.
  const owner = users.find((u) => u.publicKey === user.publicKey && !(u.agentName === user.agentName && u.cluster === user.cluster));
  if (owner) throw new PreconditionError(`agent "${user.agentName}": its NATS key is already the key of agent "${owner.agentName}"; every host makes its own`);
  return [...users.filter((u) => !(u.agentName === user.agentName && u.cluster === user.cluster)), user];
}

/** The list without the agent identified by its public key (uppercase `U…`) or its name (a lowercase DNS label). */
export function withoutAgentUser(users: readonly AgentUser[], publicKeyOrName: string): AgentUser[] {
  return users.filter((u) => u.publicKey !== publicKeyOrName && u.agentName !== publicKeyOrName);
}
