/**
 * The coordinator's own bootstrap tokens, shaped like kubeadm's (`abcdef.0123456789abcdef`): the id is public and
 * stored; only a sha256 of the secret half is stored, and compared in constant time.
 */
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import { StateConflictError } from '../core/errors.js';
import { BOOTSTRAP_TOKEN_RE } from '../core/kubeadm/tokens.js';
import type { NodeRole } from '../proto/index.js';
import type { BootstrapTokenVerifier, VerifiedBootstrapToken } from './grpc/registry.js';
import type { RecordCollection, TokenRecord } from './state/store.js';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomString(length: number): string {
  return Array.from({ length }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export interface MintedToken {
  readonly token: string;
  readonly record: TokenRecord;
}

export async function mintBootstrapToken(
  tokens: RecordCollection<TokenRecord>,
  options: { ttlMs: number; role?: 'control-plane' | 'worker'; description?: string; now?: Date },
): Promise<MintedToken> {
  const now = options.now ?? new Date();
  for (;;) {
    const id = randomString(6);
    const secret = randomString(16);
    const record: TokenRecord = {
      id,
      secretSha256: sha256Hex(secret),
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + options.ttlMs).toISOString(),
      uses: 0,
      maxUses: null,
      roleHint: options.role ?? null,
      ...(options.description ? { description: options.description } : {}),
    };
    try {
      await tokens.create(id, record);
      return { token: `${id}.${secret}`, record };
    } catch (err) {
      // An id collision (36^6): draw again; anything else is a real failure.
      if (!(err instanceof StateConflictError)) throw err;
    }
  }
}

export class KvTokenVerifier implements BootstrapTokenVerifier {
  constructor(
    private readonly tokens: () => RecordCollection<TokenRecord>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async verify(token: string): Promise<VerifiedBootstrapToken | null> {
    const m = BOOTSTRAP_TOKEN_RE.exec(token);
    if (!m) return null;
    const [, id, secret] = m;
    const stored = await this.tokens().get(id!);
    if (!stored) return null;
    const record = stored.value;
    const expected = Buffer.from(record.secretSha256, 'hex');
    const given = Buffer.from(sha256Hex(secret!), 'hex');
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
    if (new Date(record.expiresAt).getTime() <= this.now().getTime()) return null;
    if (record.maxUses !== null && record.uses >= record.maxUses) return null;
    await this.tokens()
      .update(id!, (current) => (current ? { ...current, uses: current.uses + 1 } : current!))
      .catch(() => undefined);
    return { tokenId: id!, ...(record.roleHint ? { role: record.roleHint as NodeRole } : {}) };
  }
}
