/**
 * Certificate renewal over an agent's Session (RenewCertificate → CertificateIssued), the way kubelet rotates its
 * client certificate: no bootstrap token is involved, so a fleet registered a year ago does not fall off when its
 * certificates run out.
 *
 * Who may cause it: a registered agent, over its own mTLS Session (its certificate verified against our CA and still
 * the one the registry holds for its name, auth.ts). What it reaches: a new client certificate for its own name only
 * (the CN comes from the session, never from the CSR), with the configured lifetime, and the registry's certificate
 * fields for that name. The CSR is bounded and checked (size, ECDSA P-256/P-384, proof of possession: pki/ca.ts), one
 * renewal per name runs at a time, and a name gets at most RENEWALS_PER_WINDOW renewals per half certificate lifetime.
 */
import { clip } from '../../core/clip.js';
import { AuthError, PreconditionError } from '../../core/errors.js';
import type { Logger } from '../../lib/log.js';
import { signCsr, type CertificateAuthority } from '../pki/ca.js';
import type { AgentRegistryStore } from './registry.js';

/** Enough for a retry or two after a renewal the agent failed to store; far too few to load the CA. */
export const RENEWALS_PER_WINDOW = 3;

export interface RenewDeps {
  readonly ca: CertificateAuthority;
  readonly registry: AgentRegistryStore;
  /** The lifetime of agent certificates. */
  readonly validityMs: number;
  readonly logger: Logger;
  readonly now?: () => Date;
}

export interface RenewingAgent {
  /** The CN of the session's verified certificate. */
  readonly name: string;
  /** sha256 hex of the certificate the session was opened with. */
  readonly fingerprint: string;
}

export interface Renewed {
  readonly certPem: string;
  readonly notAfter: Date;
}

export interface CertificateRenewer {
  renew(agent: RenewingAgent, csrPem: string): Promise<Renewed>;
}

/** Renewals in memory: a restarted coordinator forgets the window, which only lets an agent renew a few times more. */
export function createCertificateRenewer(deps: RenewDeps): CertificateRenewer {
  const logger = deps.logger.child({ component: 'renew' });
  const inFlight = new Set<string>();
  const recent = new Map<string, number[]>();
  const windowMs = Math.max(1000, Math.floor(deps.validityMs / 2));

  return {
    async renew(agent, csrPem) {
      const now = deps.now?.() ?? new Date();
      if (inFlight.has(agent.name)) throw new PreconditionError(`a certificate renewal of ${agent.name} is already in progress`);
      const times = (recent.get(agent.name) ?? []).filter((t) => now.getTime() - t < windowMs);
      if (times.length >= RENEWALS_PER_WINDOW) {
        logger.warn({ host: agent.name, renewals: times.length }, 'certificate renewal refused: too many renewals');
        throw new PreconditionError(`${agent.name} renewed its certificate ${times.length} times recently; try again later`);
      }
      inFlight.add(agent.name);
      try {
        // Checked before anything is signed: a revoked agent whose session has not ended yet gets nothing.
        const record = await deps.registry.get(agent.name);
        if (!record || (record.certFingerprint !== agent.fingerprint && record.previousCertFingerprint !== agent.fingerprint)) {
          logger.warn({ host: agent.name, registered: record !== undefined }, 'certificate renewal refused: not registered with this certificate');
          throw new AuthError(`agent ${clip(agent.name)} is not registered with the certificate of this session (removed or replaced); it cannot renew it`);
        }
        // Every attempt counts, refused CSRs included: the budget bounds the signing work an agent can cause.
        times.push(now.getTime());
        recent.set(agent.name, times);
        const issued = await signCsr(deps.ca, csrPem, { commonName: agent.name, validityMs: deps.validityMs, now });
        const stored = await deps.registry.renewCertificate(agent.name, agent.fingerprint, {
          fingerprint: issued.fingerprint,
          serial: issued.serialNumber,
          notAfter: issued.notAfter.toISOString(),
        });
        if (!stored) {
          logger.warn({ host: agent.name }, 'certificate renewal refused: the registration changed while it was signed');
          throw new AuthError(`agent ${agent.name} was removed or registered again during the renewal; its certificate is not renewed`);
        }
        logger.info({ host: agent.name, serial: issued.serialNumber, notAfter: issued.notAfter.toISOString() }, 'agent certificate renewed');
        return { certPem: issued.certPem, notAfter: issued.notAfter };
      } finally {
        inFlight.delete(agent.name);
      }
    },
  };
}
