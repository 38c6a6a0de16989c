/**
 * Whether haproxy's answer to a runtime-API command means success. The CLI has no status codes: success is a fixed
 * sentence for some commands (`New server registered.`), silence for most, and data for `show` commands; anything
 * else is haproxy explaining a refusal. Judging by what success looks like, rather than by a list of error sentences,
 * means a refusal worded differently in a later haproxy is still a refusal.
 */

/** Why haproxy refused, for callers that react to specific refusals (retry a delete, re-plan after a race). */
export type RuntimeRefusal =
  | 'no-such-server'
  | 'no-such-backend'
  | 'server-exists'
  | 'not-in-maintenance'
  | 'has-connections'
  | 'not-dynamic-backend'
  | 'permission-denied'
  | 'unknown-command'
  | 'bad-argument'
  | 'unexpected-answer';

interface Expectation {
  readonly verb: RegExp;
  readonly ok: (answer: string) => boolean;
}

const SILENT = (answer: string) => answer === '';

const EXPECTATIONS: readonly Expectation[] = [
  { verb: /^add server /, ok: (a) => a === 'New server registered.' },
  { verb: /^del server /, ok: (a) => a === 'Server deleted.' },
  { verb: /^(enable|disable) (server|health|agent) /, ok: SILENT },
  { verb: /^set server \S+ state /, ok: SILENT },
  { verb: /^set (server \S+ )?weight /, ok: SILENT },
  { verb: /^shutdown sessions server /, ok: SILENT },
  { verb: /^show servers state\b/, ok: (a) => /^\d+\n#/.test(a) },
  { verb: /^show stat\b/, ok: (a) => a.startsWith('# pxname,') },
  { verb: /^show info\b/, ok: (a) => /^Name: /m.test(a) && /^Pid: \d+/m.test(a) },
  { verb: /^show proc\b/, ok: (a) => a.startsWith('#<PID>') },
];

const REFUSALS: readonly (readonly [RegExp, RuntimeRefusal])[] = [
  [/No such server/i, 'no-such-server'],
  [/No such backend|Can't find backend|No such proxy/i, 'no-such-backend'],
  [/Already exists a server with the same name/i, 'server-exists'],
  [/Only servers in maintenance mode can be deleted|must be in maintenance/i, 'not-in-maintenance'],
  [/still has connections|connections attached|queue is not empty|has (active|idle) connections/i, 'has-connections'],
  [/dynamic load.?balancing|does not support dynamic servers/i, 'not-dynamic-backend'],
  [/Permission denied/i, 'permission-denied'],
  [/^Unknown command/i, 'unknown-command'],
  [/unknown keyword|not accepted for dynamic server|invalid|expects|require|cannot|unsupported|missing/i, 'bad-argument'],
];

export interface AnswerProblem {
  readonly refusal: RuntimeRefusal;
  /** haproxy's own words, trimmed. */
  readonly answer: string;
}

/**
 * undefined when `answer` is haproxy's success answer to `command`; otherwise the refusal. Commands this module has no
 * expectation for succeed unless haproxy says it does not know them.
 */
export function answerProblem(command: string, answer: string): AnswerProblem | undefined {
  const trimmed = answer.trim();
  const expectation = EXPECTATIONS.find((e) => e.verb.test(command.trim()));
  const ok = expectation ? expectation.ok(trimmed) : !/^Unknown command/i.test(trimmed);
  if (ok) return undefined;
  const refusal = REFUSALS.find(([re]) => re.test(trimmed))?.[1] ?? 'unexpected-answer';
  return { refusal, answer: trimmed };
}
