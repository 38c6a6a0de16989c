/**
 * `/etc/kubeadm-ha/agent.yaml`, parsed once at the agent's boundary. The token is a secret: it is never echoed in
 * an error message, even when it is malformed.
 */
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { parseCoordinatorAddresses } from './coordinator-addresses.js';
import { SpecError, type SpecIssue } from './errors.js';
import { BOOTSTRAP_TOKEN_RE, CA_CERT_HASH_RE } from './kubeadm/tokens.js';
import { formatPath } from './spec.js';

const NODE_NAME_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export interface AgentConfig {
  /** host:port of the coordinator's gRPC endpoint, or several separated by commas (coordinator HA). */
  readonly coordinator: string;
  readonly token: string;
  readonly caCertHash: string;
  readonly role?: 'control-plane' | 'worker';
  readonly nodeName?: string;
  readonly stateDir: string;
}

const schema = z.strictObject({
  coordinator: z.string({ error: 'is required: the coordinator address as host:port, e.g. 198.18.0.2:9443' }).superRefine((text, ctx) => {
    const parsed = parseCoordinatorAddresses(text);
    if ('problem' in parsed) ctx.addIssue({ code: 'custom', message: `must be host:port, or several separated by commas: ${parsed.problem}` });
  }),
  token: z
    .string({ error: 'is required: the bootstrap token from `coordinatorctl token create`' })
    .regex(BOOTSTRAP_TOKEN_RE, 'is not a bootstrap token of the form [a-z0-9]{6}.[a-z0-9]{16}; copy it again from `coordinatorctl token create`'),
  caCertHash: z
    .string({ error: 'is required: the coordinator CA pin sha256:<hex> from `coordinatorctl token create`' })
    .regex(CA_CERT_HASH_RE, 'must be sha256: followed by 64 lowercase hex digits, as `coordinatorctl token create` prints it'),
  role: z.enum(['control-plane', 'worker'], { error: 'must be "control-plane" or "worker"' }).optional(),
  nodeName: z.string().max(63, 'must be at most 63 characters').regex(NODE_NAME_RE, 'must be a DNS-1123 label: lowercase letters, digits and "-"').optional(),
  stateDir: z.string().startsWith('/', 'must be an absolute path').default('/var/lib/kubeadm-ha'),
});

export function parseAgentConfig(text: string, source = '/etc/kubeadm-ha/agent.yaml'): AgentConfig {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new SpecError(
      source,
      doc.errors.map((e) => ({ path: e.linePos ? `line ${e.linePos[0].line}` : '(document)', message: `invalid YAML: ${e.message.split('\n')[0]}` })),
    );
  }
  const parsed = schema.safeParse(doc.toJS());
  if (!parsed.success) {
    const issues: SpecIssue[] = parsed.error.issues.map((i) => ({
      path: formatPath(i.path),
      message:
        i.code === 'unrecognized_keys' ? `unknown field(s) ${i.keys.join(', ')}; known: coordinator, token, caCertHash, role, nodeName, stateDir` : i.message,
    }));
    throw new SpecError(source, issues);
  }
  return Object.freeze(parsed.data);
}

export function renderAgentConfig(config: Omit<AgentConfig, 'stateDir'> & { stateDir?: string }): string {
  const lines = [
    '# kubeadm-ha agent configuration: written by `coordinatorctl token create`.',
    '# The token is a secret: keep this file mode 0600.',
    `coordinator: ${config.coordinator}`,
    `token: ${config.token}`,
    `caCertHash: ${config.caCertHash}`,
  ];
  if (config.role) lines.push(`role: ${config.role}`);
  else lines.push('# role: worker            # or control-plane; otherwise the cluster spec or autoJoin decides');
  if (config.nodeName) lines.push(`nodeName: ${config.nodeName}`);
  else lines.push('# nodeName: worker-3      # defaults to the hostname, which must then be a DNS-1123 label');
  if (config.stateDir && config.stateDir !== '/var/lib/kubeadm-ha') lines.push(`stateDir: ${config.stateDir}`);
  return lines.join('\n') + '\n';
}
