/**
 * The coordinator's own bootstrap tokens, shaped like kubeadm's (`abcdef.0123456789abcdef`): the id is public and
 * stored; only a sha256 of the secret half is stored, and compared in constant time.
 *
 * Who may cause what: only an admin (admin.conf) mints, lists and deletes tokens. A token admits exactly what it was
 * minted for: one role (authoritative; an agent's hint can only lower it), a number of registrations (one by default),
 * until its expiry (one hour by default, a week at most), and, with `--node-name`, one node name. A use is taken with
 * compare-and-set, so two agents racing for the last use cannot both win; a registration that fails after taking it
 * gives it back. Expired and used-up records are purged.
 */
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import { DEFAULT_TOKEN_TTL_MS, DEFAULT_TOKEN_USES, tokenRequestProblem } from '../core/bootstrap-token-policy.js';
import { SpecError, StateConflictError } from '../core/errors.js';
import { BOOTSTRAP_TOKEN_RE, isBootstrapTokenId } from '../core/kubeadm/tokens.js';
import type { Logger } from '../lib/log.js';
import type { NodeRole } from '../proto/index.js';
import type { BootstrapTokenVerifier, TokenGrant } from './grpc/registry.js';
import { DELETE, UNCHANGED, type RecordCollection, type TokenRecord } from './state/store.js';

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

export interface TokenRequest {
  readonly ttlMs?: number;
  readonly uses?: number;
  /** Default worker: a token never admits more than it says. */
  readonly role?: NodeRole;
  readonly nodeName?: string;
  readonly description?: string;
}

/** The role a stored record admits: records from before roles were authoritative (null) admit workers only. */
export function tokenRole(record: TokenRecord): NodeRole {
  return record.roleHint ?? 'worker';
}

/** Registrations a record still admits; records from before uses were bounded (null) count as single-use. */
export function usesLeft(record: TokenRecord): number {
  return Math.max(0, (record.maxUses ?? DEFAULT_TOKEN_USES) - record.uses);
}

function live(record: TokenRecord, now: Date): boolean {
  return new Date(record.expiresAt).getTime() > now.getTime() && usesLeft(record) > 0;
}

/**
 * A used-up token stays this long after its last use: a registration that fails after taking the last use gives it
 * back (refund), which needs the record.
 */
const USED_UP_GRACE_MS = 10 * 60_000;

function purgeable(record: TokenRecord, now: Date): boolean {
  if (new Date(record.expiresAt).getTime() <= now.getTime()) return true;
  if (usesLeft(record) > 0) return false;
  return record.lastUsedAt === undefined || now.getTime() - Date.parse(record.lastUsedAt) >= USED_UP_GRACE_MS;
}

export class BootstrapTokens implements BootstrapTokenVerifier {
  constructor(
    private readonly tokens: () => RecordCollection<TokenRecord>,
    private readonly logger?: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Refuses requests beyond the policy (core/bootstrap-token-policy.ts) with a message naming the flag and the limit. */
  async mint(req: TokenRequest): Promise<MintedToken> {
    const ttlMs = req.ttlMs ?? DEFAULT_TOKEN_TTL_MS;
    const uses = req.uses ?? DEFAULT_TOKEN_USES;
    const problem = tokenRequestProblem({ ttlMs, uses, ...(req.nodeName !== undefined ? { nodeName: req.nodeName } : {}) });
    if (problem) throw new SpecError('token create', [{ path: problem.split(' ')[0]!, message: problem.replace(/^\S+ /, '') }]);
    await this.purge();
    const now = this.now();
    for (;;) {
      const id = randomString(6);
      const secret = randomString(16);
      const record: TokenRecord = {
        id,
        secretSha256: sha256Hex(secret),
        createdAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + ttlMs).toISOString(),
        uses: 0,
        maxUses: uses,
        roleHint: req.role ?? 'worker',
        ...(req.nodeName ? { nodeName: req.nodeName } : {}),
        ...(req.description ? { description: req.description.slice(0, 200) } : {}),
      };
      try {
        await this.tokens().create(id, record);
        return { token: `${id}.${secret}`, record };
      } catch (err) {
        // An id collision (36^6): draw again; anything else is a real failure.
        if (!(err instanceof StateConflictError)) throw err;
      }
    }
  }

  async check(token: string): Promise<TokenGrant | null> {
    const m = BOOTSTRAP_TOKEN_RE.exec(token);
    if (!m) return null;
    const [, id, secret] = m;
    const stored = await this.tokens().get(id!);
    if (!stored) return null;
    const record = stored.value;
    const expected = Buffer.from(record.secretSha256, 'hex');
    const given = Buffer.from(sha256Hex(secret!), 'hex');
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
    if (!live(record, this.now())) return null;
    return { tokenId: id!, role: tokenRole(record), createdAt: new Date(record.createdAt), ...(record.nodeName ? { nodeName: record.nodeName } : {}) };
  }

  async consume(tokenId: string): Promise<boolean> {
    let taken = false;
    await this.tokens().update(
      tokenId,
      (current) => {
        taken = current !== undefined && live(current, this.now());
        return taken && current ? { ...current, uses: current.uses + 1, lastUsedAt: this.now().toISOString() } : UNCHANGED;
        // A rack of hosts booting with one multi-use token all take a use of the same record at once.
      },
      { maxAttempts: 100 },
    );
    return taken;
  }

  async refund(tokenId: string): Promise<void> {
    await this.tokens().update(tokenId, (current) => (current && current.uses > 0 ? { ...current, uses: current.uses - 1 } : UNCHANGED));
  }

  /** Every token not purged, oldest first; the dead ones are purged on the way. */
  async list(): Promise<TokenRecord[]> {
    await this.purge();
    return [...(await this.tokens().list()).values()].map((v) => v.value).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  async delete(id: string): Promise<boolean> {
    if (!isBootstrapTokenId(id))
      throw new SpecError('token delete', [{ path: 'id', message: 'is not a token id (6 lowercase letters and digits, the part before the dot)' }]);
    let existed = false;
    await this.tokens().update(id, (current) => {
      existed = current !== undefined;
      return current ? DELETE : UNCHANGED;
    });
    if (existed) this.logger?.info({ tokenId: id }, 'bootstrap token deleted');
    return existed;
  }

  /** Deletes expired and used-up records; returns how many went. */
  async purge(): Promise<number> {
    const now = this.now();
    let purged = 0;
    for (const [id, { value }] of await this.tokens().list()) {
      if (!purgeable(value, now)) continue;
      let deleted = false;
      await this.tokens().update(id, (current) => {
        deleted = current !== undefined && purgeable(current, now);
        return deleted ? DELETE : UNCHANGED;
      });
      if (deleted) purged++;
    }
    if (purged > 0) this.logger?.info({ purged }, 'expired or used-up bootstrap tokens purged');
    return purged;
  }
}
