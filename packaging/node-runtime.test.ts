/**
 * The runtime pin and the end-of-life check, without the network: the download itself is covered by the packaging
 * test, which builds the executables and reads the Node version they report.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkSupported, LTS_END_OF_LIFE, matchesIntegrity, NODE_RUNTIME, runtimePackage } from './lib/node-runtime.mjs';

const day = (iso: string) => new Date(`${iso}T12:00:00Z`);

describe('checkSupported (the build refuses a Node past its end of life)', () => {
  it('accepts an LTS line before its end of life and refuses it from that day on', () => {
    expect(checkSupported('20.20.2', day('2026-04-29'))).toEqual({ major: 20, endOfLife: '2026-04-30' });
    expect(() => checkSupported('v20.20.2', day('2026-04-30'))).toThrow('Node v20.20.2 reached end of life on 2026-04-30');
    expect(() => checkSupported('20.20.2', day('2026-12-03'))).toThrow(/reached end of life on 2026-04-30: pin a supported LTS release/);
    expect(checkSupported('24.22.3', day('2026-12-03')).endOfLife).toBe('2028-04-30');
    expect(() => checkSupported('24.22.3', day('2028-05-01'))).toThrow(/reached end of life on 2028-04-30/);
  });

  it('refuses lines it has no end-of-life date for: odd-numbered and Current releases, garbage', () => {
    expect(() => checkSupported('23.11.0', day('2025-01-01'))).toThrow(/Node 23.11.0 is not an LTS line this build knows/);
    expect(() => checkSupported('26.0.0', day('2026-06-01'))).toThrow(/not an LTS line/);
    expect(() => checkSupported('latest', day('2026-06-01'))).toThrow(/not an LTS line/);
  });

  it('the error is one line', () => {
    expect(() => checkSupported('20.20.2', day('2026-12-03'))).toThrow(/^[^\n]+$/);
  });
});

describe('the pinned runtime', () => {
  it('is Node 24 LTS, supported today, and pinned for x64 and arm64 with sha512 integrities', () => {
    expect(NODE_RUNTIME.version).toMatch(/^24\.\d+\.\d+$/);
    expect(() => checkSupported(NODE_RUNTIME.version)).not.toThrow();
    expect(Object.keys(LTS_END_OF_LIFE)).toContain('24');
    for (const arch of ['x64', 'arm64'] as const) {
      const pkg = runtimePackage(arch);
      expect(pkg.name).toBe(`node-linux-${arch}`);
      expect(pkg.integrity).toMatch(/^sha512-[A-Za-z0-9+/]{86}==$/);
      expect(pkg.tarball).toBe(`node-linux-${arch}-${NODE_RUNTIME.version}.tgz`);
    }
    expect(() => runtimePackage('s390x')).toThrow(/no Node 24\.\d+\.\d+ binary pinned for s390x/);
  });
});

describe('matchesIntegrity', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeadm-ha-integrity-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('compares a file with an npm sha512 integrity and rejects anything else', () => {
    const file = join(dir, 'f');
    writeFileSync(file, 'hello\n');
    // printf 'hello\n' | openssl dgst -sha512 -binary | base64
    const hello = 'sha512-58IrmUxZ2c8rSOVJseJGZmNgRZMNPafBrLKZ0cO3+TH5Sq5B7dosKyB6NuEPi8uNRSI+VIePWzFufOO2vAGWKQ==';
    expect(matchesIntegrity(file, hello)).toBe(true);
    writeFileSync(file, 'hello!\n');
    expect(matchesIntegrity(file, hello)).toBe(false);
    expect(() => matchesIntegrity(file, 'sha1-abc')).toThrow(/unsupported integrity/);
  });
});
