import { renderAgentConfig } from '../../../core/agent-config.js';
import { DEFAULT_TOKEN_TTL_MS, DEFAULT_TOKEN_USES, tokenRequestProblem } from '../../../core/bootstrap-token-policy.js';
import { parseDurationMs } from '../../../core/duration.js';
import { formatTable } from '../../../core/format/table.js';
import { UsageError } from '../../../core/errors.js';
import type { CreateTokenResponse__Output } from '../../../proto/generated/kubeadm_ha/v1/CreateTokenResponse.js';
import type { DeleteTokenResponse__Output } from '../../../proto/generated/kubeadm_ha/v1/DeleteTokenResponse.js';
import type { ListTokensResponse__Output } from '../../../proto/generated/kubeadm_ha/v1/ListTokensResponse.js';
import { roleFromProto, roleToProto } from '../../../proto/index.js';
import { parseCommandArgs, type CliIo, type Command, type CommandOptions } from '../command.js';
import { CONNECTION_OPTIONS, connect, unary } from '../client.js';

const USAGE = [
  'coordinatorctl token create [--ttl 1h] [--uses 1] [--role worker|control-plane] [--node-name NAME] [--description TEXT]',
  '       coordinatorctl token list [-o json]',
  '       coordinatorctl token delete ID',
].join('\n');

type Values = Record<string, string | boolean | undefined>;

async function create(values: Values, io: CliIo): Promise<number> {
  const ttlText = (values.ttl as string | undefined) ?? '1h';
  const ttlMs = parseDurationMs(ttlText);
  if (!ttlMs) throw new UsageError(`token create: --ttl "${ttlText}" is not a duration such as 1h or 30m`);
  const usesText = values.uses as string | undefined;
  const uses = usesText === undefined ? DEFAULT_TOKEN_USES : Number(usesText);
  const nodeName = values['node-name'] as string | undefined;
  const problem = tokenRequestProblem({ ttlMs, uses, ...(nodeName !== undefined ? { nodeName } : {}) });
  if (problem) throw new UsageError(`token create: ${problem}`);
  const roleText = values.role as string | undefined;
  if (roleText && roleText !== 'worker' && roleText !== 'control-plane') throw new UsageError('token create: --role must be worker or control-plane');
  const role = (roleText ?? 'worker') as 'worker' | 'control-plane';
  const client = await connect(values as never);
  try {
    const res = await unary<object, CreateTokenResponse__Output>(
      client,
      'createToken',
      {
        ttlSeconds: Math.ceil(ttlMs / 1000),
        role: roleToProto(role),
        uses,
        nodeName: nodeName ?? '',
        description: (values.description as string | undefined) ?? '',
      },
      'token create',
    );
    const binding = nodeName ? `, only for node ${nodeName}` : '';
    io.err(
      `# token ${res.id}: ${role}, ${res.uses} use${res.uses === 1 ? '' : 's'}${binding}, expires ${res.expires}; install this as /etc/kubeadm-ha/agent.yaml (mode 0600) on the new host\n`,
    );
    io.out(
      renderAgentConfig({
        coordinator: res.coordinatorAddress,
        token: res.token,
        caCertHash: res.caPin,
        role,
        ...(nodeName ? { nodeName } : {}),
      }),
    );
    return 0;
  } finally {
    client.close();
  }
}

async function list(values: Values, io: CliIo): Promise<number> {
  const client = await connect(values as never);
  try {
    const res = await unary<object, ListTokensResponse__Output>(client, 'listTokens', {}, 'token list');
    if (values.output === 'json') {
      io.out(JSON.stringify(res.tokens, null, 2) + '\n');
      return 0;
    }
    const rows = res.tokens.map((t) => [
      t.id,
      roleFromProto(t.role) ?? 'worker',
      t.nodeName || '<any>',
      `${t.maxUses - t.uses}/${t.maxUses}`,
      t.expires,
      t.description,
    ]);
    io.out(formatTable(['ID', 'ROLE', 'NODE', 'USES LEFT', 'EXPIRES', 'DESCRIPTION'], rows) + '\n');
    return 0;
  } finally {
    client.close();
  }
}

async function remove(id: string, values: Values, io: CliIo): Promise<number> {
  const client = await connect(values as never);
  try {
    const res = await unary<object, DeleteTokenResponse__Output>(client, 'deleteToken', { id }, 'token delete');
    if (!res.deleted) {
      io.err(`coordinatorctl token delete: no token ${id} (expired and used-up tokens are purged; see coordinatorctl token list)\n`);
      return 1;
    }
    io.out(`token ${id} deleted\n`);
    return 0;
  } finally {
    client.close();
  }
}

/** The flags `run` parses; `coordinatorctl completion` offers the same. */
const OPTIONS = {
  ttl: { type: 'string' },
  uses: { type: 'string' },
  role: { type: 'string' },
  'node-name': { type: 'string' },
  description: { type: 'string' },
  output: { type: 'string', short: 'o' },
  ...CONNECTION_OPTIONS,
} satisfies CommandOptions;

export const tokenCommand: Command = {
  name: 'token',
  summary: `Bootstrap tokens: create (single-use worker tokens for ${DEFAULT_TOKEN_TTL_MS / 3600_000} h by default, printed as agent.yaml), list, delete`,
  usage: USAGE,
  options: OPTIONS,
  subcommands: ['create', 'list', 'delete'],
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(this, args, OPTIONS, true);
    const [sub, ...rest] = positionals;
    if (sub === 'create' && rest.length === 0) return create(values, io);
    if (sub === 'list' && rest.length === 0) return list(values, io);
    if (sub === 'delete' && rest.length === 1) return remove(rest[0]!, values, io);
    throw new UsageError(`token: expected create, list or delete ID\nusage: ${this.usage}`);
  },
};
