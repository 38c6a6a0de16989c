#!/usr/bin/env node
import { runCli } from './cli.js';

// grpc-js sets the TLS servername to the IP it dials (DEP0123); harmless, and not for an operator's terminal.
process.noDeprecation = true;

runCli(process.argv.slice(2), { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) }).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`coordinatorctl: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
