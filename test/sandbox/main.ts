#!/usr/bin/env node
/**
 * The sandbox's own entry point, `node dist/test/sandbox/main.js up|down` (`sudo npm run sandbox` builds and runs
 * `up`). It is test tooling built from test-only pieces, so it is not a coordinatorctl command and never ships.
 */
import { sandboxDown, sandboxUp, type SandboxIo } from './sandbox.js';

const USAGE = 'usage: sudo node dist/test/sandbox/main.js up|down';

// grpc-js sets the TLS servername to the IP it dials (DEP0123); harmless, and not for an operator's terminal.
process.noDeprecation = true;

const io: SandboxIo = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };
const action = process.argv[2];

if (action !== 'up' && action !== 'down') {
  io.err(`sandbox: say up or down\n${USAGE}\n`);
  process.exitCode = 2;
} else {
  (action === 'up' ? sandboxUp(io) : sandboxDown(io)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      io.err(`sandbox: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
