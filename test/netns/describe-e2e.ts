/**
 * describe() for suites that need network namespaces. Where they cannot run, the suite is skipped with the
 * reason printed, except under KUBEADM_HA_REQUIRE_E2E=1 (CI), where the skip becomes a failing test that says
 * why: a CI machine that silently lost its namespaces must not pass.
 */
import { describe, it } from 'vitest';
import { canRunNetns } from './can-run.js';

export const REQUIRE_E2E_ENV = 'KUBEADM_HA_REQUIRE_E2E';

export function describeE2E(name: string, fn: () => void): void {
  const can = canRunNetns();
  if (can.ok) {
    describe(name, fn);
    return;
  }
  if (process.env[REQUIRE_E2E_ENV] === '1') {
    describe(name, () => {
      it('has the network namespaces it needs', () => {
        throw new Error(`${REQUIRE_E2E_ENV}=1 but this suite cannot run: ${can.reason}`);
      });
    });
    return;
  }
  console.warn(`skipping "${name}": ${can.reason}`);
  describe.skip(`${name} (skipped: ${can.reason})`, fn);
}
