#!/usr/bin/env node
/**
 * The sandbox's own entry point, `node dist/test/sandbox/main.js up|down` (`sudo npm run sandbox` builds and runs
 * `up`). It is test tooling built from test-only pieces, so it is not a coordinatorctl command and never ships.
 */
import { SANDBOX_VERSIONS, sandboxDown, sandboxUp, type SandboxIo } from './sandbox.js';

const USAGE = 'usage: sudo node dist/test/sandbox/main.js up [--kubernetes-version vX.Y.Z] | down';

// grpc-js sets the TLS servername to the IP it dials (DEP0123); harmless, and not for an operator's terminal.
process.noDeprecation = true;

const io: SandboxIo = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };
const action = process.argv[2];
const rest = process.argv.slice(3);
const version = rest[0] === '--kubernetes-version' ? rest[1] : rest[0]?.startsWith('--kubernetes-version=') ? rest[0].split('=')[1] : undefined;
const restOk = rest.length === 0 || (action === 'up' && version !== undefined && rest.length === (rest[0]!.includes('=') ? 1 : 2));

if ((action !== 'up' && action !== 'down') || !restOk) {
  io.err(`sandbox: say up or down\n${USAGE}\n`);
  process.exitCode = 2;
} else if (version !== undefined && !SANDBOX_VERSIONS.includes(version)) {
  io.err(`sandbox: --kubernetes-version ${JSON.stringify(version)} is not one the simulator offers (${SANDBOX_VERSIONS.join(', ')})\n`);
  process.exitCode = 2;
} else {
  (action === 'up' ? sandboxUp(io, version) : sandboxDown(io)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      io.err(`sandbox: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
