import { UsageError } from '../../../core/errors.js';
import type { LeaderResponse__Output } from '../../../proto/generated/kubeadm_ha/v1/LeaderResponse.js';
import type { UploadTrustResponse__Output } from '../../../proto/generated/kubeadm_ha/v1/UploadTrustResponse.js';
import { parseCommandArgs, type Command, type CommandOptions } from '../command.js';
import { CONNECTION_OPTIONS, connect, unary } from '../client.js';

const USAGE = [
  'coordinatorctl coordinators leader [-o json]  which coordinator leads (asked of the one admin.conf or --coordinator names)',
  'coordinatorctl coordinators upload-trust [-o json]  seal the coordinator CA for a new standby coordinator; prints the key',
  '',
  '  upload-trust stores the CA in NATS encrypted under a fresh key for 2 h; the key is printed here once. Write it to',
  '  a file (0600) on the new coordinator host and start kubeadm-ha-coordinator there with that file as its trust key',
  '  file and the same NATS flags as the leader (kubeadm-ha-coordinator(8)): it takes the CA and deletes the bundle.',
  "  Anyone with the key and access to the coordinators' NATS account can take the CA: keep it like a private key, and",
  '  upload again if it leaked.',
].join('\n');

/** The flags `run` parses; `coordinatorctl completion` offers the same. */
const OPTIONS = {
  output: { type: 'string', short: 'o' },
  ...CONNECTION_OPTIONS,
} satisfies CommandOptions;

export const coordinatorsCommand: Command = {
  name: 'coordinators',
  summary: 'Coordinator HA: which coordinator leads; upload-trust brings the CA to a new standby',
  usage: USAGE,
  options: OPTIONS,
  subcommands: ['leader', 'upload-trust'],
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(this, args, OPTIONS, true);
    const [sub, ...rest] = positionals;
    if (rest.length > 0 || (sub !== 'leader' && sub !== 'upload-trust'))
      throw new UsageError(`coordinators: expected leader or upload-trust\nusage: ${this.usage}`);
    if (values.output !== undefined && values.output !== 'json') throw new UsageError('coordinators: -o takes json');
    const client = await connect(values);
    try {
      if (sub === 'leader') {
        const res = await unary<object, LeaderResponse__Output>(client, 'leader', {}, 'coordinators leader');
        if (values.output === 'json')
          io.out(`${JSON.stringify({ leader: res.leader, coordinator: res.coordinator, leading: res.leading, term: Number(res.term) })}\n`);
        else
          io.out(
            `leader: ${res.leader || '(none: a takeover is under way)'}\nasked: ${res.coordinator} (${res.leading ? 'leader' : 'standby'}; term ${res.term})\n`,
          );
        return 0;
      }
      const res = await unary<object, UploadTrustResponse__Output>(client, 'uploadTrust', {}, 'coordinators upload-trust');
      if (values.output === 'json') {
        io.out(`${JSON.stringify({ key: res.key, expires: res.expires, caPin: res.caPin })}\n`);
      } else {
        io.err(`# the CA (${res.caPin}) is sealed in NATS until ${res.expires}; on the new coordinator host:\n`);
        io.err('#   install -m 0600 /dev/stdin /etc/kubeadm-ha/trust.key   (paste the key), then start it with --trust-key-file /etc/kubeadm-ha/trust.key\n');
        io.out(`${res.key}\n`);
      }
      return 0;
    } finally {
      client.close();
    }
  },
};
