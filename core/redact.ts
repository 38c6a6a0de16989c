/**
 * The one redactor: masks secrets in anything that may reach a log line, an error message, a progress line or a gRPC
 * status. The shapes come from core/kubeadm/tokens.ts (what kubeadm accepts as a token or a certificate key is also
 * what gets masked), plus PEM private keys and the literal values a caller knows to be secret. Pure.
 *
 * One placeholder, REDACTED, everywhere. A bootstrap token keeps its ID (`abcdef.<redacted>`): the ID is public, it
 * names the token's Secret and is what an operator greps `kubeadm token list` for.
 */
import {
  BOOTSTRAP_TOKEN_ID_PATTERN,
  BOOTSTRAP_TOKEN_RE,
  BOOTSTRAP_TOKEN_SECRET_PATTERN,
  CERTIFICATE_KEY_PATTERN,
  CERTIFICATE_KEY_RE,
} from './kubeadm/tokens.js';

export const REDACTED = '<redacted>';

/** Known secrets shorter than this are not masked by value: they would also mask ordinary words. */
const MIN_LITERAL_SECRET_LENGTH = 4;

const PRIVATE_KEY_PEM = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g;
const BOOTSTRAP_TOKEN_IN_TEXT = new RegExp(`\\b(${BOOTSTRAP_TOKEN_ID_PATTERN})\\.${BOOTSTRAP_TOKEN_SECRET_PATTERN}\\b`, 'g');
/** Named certificate keys, including `certificateKey:<key>` which the bare-key rule below spares for its colon. */
const NAMED_CERTIFICATE_KEY = new RegExp(`(--certificate-key[ =]|certificateKey:\\s*)${CERTIFICATE_KEY_PATTERN}\\b`, 'g');
/** A bare 64-hex key; one right after a colon is left alone, because `sha256:<hex>` is the public CA hash. */
const BARE_CERTIFICATE_KEY = new RegExp(`(^|[^:a-f0-9])${CERTIFICATE_KEY_PATTERN}(?![a-f0-9])`, 'g');

/** Flags whose value is a secret whatever it looks like. */
const SECRET_FLAGS: ReadonlySet<string> = new Set(['--token', '--certificate-key', '--tls-bootstrap-token', '--discovery-token']);

/** Masks every known secret value, then every secret shape, in free text. */
export function redactSecrets(text: string, knownSecrets: readonly string[] = []): string {
  let out = text;
  for (const secret of knownSecrets) if (secret.length >= MIN_LITERAL_SECRET_LENGTH) out = out.split(secret).join(REDACTED);
  return out
    .replace(PRIVATE_KEY_PEM, REDACTED)
    .replace(BOOTSTRAP_TOKEN_IN_TEXT, `$1.${REDACTED}`)
    .replace(NAMED_CERTIFICATE_KEY, `$1${REDACTED}`)
    .replace(BARE_CERTIFICATE_KEY, `$1${REDACTED}`);
}

/** The masked form of one secret value: a token keeps its public ID, anything else is replaced whole. */
function redactValue(value: string): string {
  const token = BOOTSTRAP_TOKEN_RE.exec(value);
  return token ? `${token[1]}.${REDACTED}` : REDACTED;
}

/**
 * A copy of argv fit for logs: values of secret-bearing flags (`--token x`, `--token=x`, `--certificate-key`…), whole
 * arguments shaped like a token or a certificate key (positional `kubeadm token create <token>`), and whatever
 * redactSecrets finds in the rest are masked. The input is not modified.
 */
export function redactArgv(argv: readonly string[], knownSecrets: readonly string[] = []): string[] {
  const out: string[] = [];
  let maskNext = false;
  for (const arg of argv) {
    if (maskNext) {
      out.push(redactValue(arg));
      maskNext = false;
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (SECRET_FLAGS.has(flag)) {
      if (eq > 0) out.push(`${flag}=${redactValue(arg.slice(eq + 1))}`);
      else {
        out.push(arg);
        maskNext = true;
      }
      continue;
    }
    out.push(BOOTSTRAP_TOKEN_RE.test(arg) || CERTIFICATE_KEY_RE.test(arg) ? redactValue(arg) : redactSecrets(arg, knownSecrets));
  }
  return out;
}
