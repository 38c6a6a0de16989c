#!/usr/bin/env node
/** kubeadm-ha-agent: one per host, started by systemd. Only dials out; opens no port. */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parseAgentConfig } from '../core/agent-config.js';
import { KubeadmHaError } from '../core/errors.js';
import { AGENT_CONFIG_PATH } from '../core/host/paths.js';
import { versionLine } from '../core/version.js';
import { createRootLogger } from '../lib/log.js';
import { startAgent } from './daemon.js';

// grpc-js sets the TLS servername to the IP it dials (DEP0123); harmless, and not for an operator's terminal.
process.noDeprecation = true;

const USAGE = `usage: kubeadm-ha-agent [--config ${AGENT_CONFIG_PATH}] [--log-level info]

  --config PATH       the agent configuration written from \`coordinatorctl token create\`
  --log-level LEVEL   debug | info | warn | error
  --host-root DIR     treat DIR as the host's root for every file the agent writes (tests and the sandbox only)
  --version           print the version and exit`;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        config: { type: 'string', default: AGENT_CONFIG_PATH },
        'log-level': { type: 'string', default: 'info' },
        'host-root': { type: 'string', default: '/' },
        version: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`kubeadm-ha-agent: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`${versionLine('kubeadm-ha-agent')}\n`);
    return 0;
  }
  let text: string;
  try {
    text = await readFile(values.config, 'utf8');
  } catch (err) {
    process.stderr.write(
      `kubeadm-ha-agent: cannot read ${values.config}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; write it from \`coordinatorctl token create\` (mode 0600)\n`,
    );
    return 1;
  }
  const config = parseAgentConfig(text, values.config);
  const logger = createRootLogger({ level: values['log-level'], name: 'kubeadm-ha-agent' });
  const agent = startAgent({ config, hostRoot: values['host-root'], logger });
  logger.info({ coordinator: config.coordinator, version: versionLine('kubeadm-ha-agent') }, 'agent started');
  await new Promise<void>((resolve) => {
    // The first SIGTERM/SIGINT drains: no new task, kubeadm init/join/reset run to their end (the unit's KillMode=mixed
    // leaves kubeadm alone, TimeoutStopSec covers the wait), the others are aborted, every result is sent. A second
    // signal is an operator who will not wait: everything is aborted now.
    let signals = 0;
    const stop = (signal: string) => {
      signals++;
      if (signals === 1) {
        logger.info({ signal }, 'stopping: no new task; waiting for kubeadm init/join/reset to finish, aborting the rest');
        agent.stop({ drain: true }).finally(resolve);
      } else {
        logger.warn({ signal }, 'stopping now: running tasks are aborted');
        agent.stop().finally(resolve);
      }
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`kubeadm-ha-agent: ${err instanceof KubeadmHaError ? err.message : err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
