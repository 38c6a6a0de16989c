import { pino, type Logger } from 'pino';
import { REDACTED } from '../core/redact.js';

/**
 * The one root logger. Daemons log JSON to stderr (journald picks it up); only the CLI writes to
 * stdout. Callers take children with `component`, `phase` and `host` fields.
 * Secrets never reach a log line: the redact paths are a second line of defence, not the first.
 */
export function createRootLogger(opts: { level?: string; name?: string; destination?: number } = {}): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      name: opts.name,
      redact: {
        paths: ['token', '*.token', 'certificateKey', '*.certificateKey', 'privateKey', '*.privateKey', 'password', '*.password', 'authPass', '*.authPass'],
        censor: REDACTED,
      },
    },
    pino.destination({ fd: opts.destination ?? 2, sync: false }),
  );
}

/** A logger that drops everything, for tests and library callers that do not care. */
export const silentLogger: Logger = pino({ level: 'silent' });

export type { Logger };
