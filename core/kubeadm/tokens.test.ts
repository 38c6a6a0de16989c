import { describe, expect, it } from 'vitest';
import { bootstrapTokenId, isBootstrapToken, isBootstrapTokenId, isCaCertHash, isCertificateKey, joinCredentialProblems } from './tokens.js';

const KEY = '0f'.repeat(32);

describe('credential formats', () => {
  it('bootstrap tokens are [a-z0-9]{6}.[a-z0-9]{16}', () => {
    expect(isBootstrapToken('abcdef.0123456789abcdef')).toBe(true);
    for (const bad of [
      'ABCDEF.0123456789abcdef',
      'abcde.0123456789abcdef',
      'abcdef.0123456789abcde',
      'abcdef-0123456789abcdef',
      'abcdef.0123456789abcdef\n',
      ' abcdef.0123456789abcdef',
    ]) {
      expect(isBootstrapToken(bad), JSON.stringify(bad)).toBe(false);
    }
    expect(isBootstrapTokenId('abcdef')).toBe(true);
    expect(isBootstrapTokenId('abcdefg')).toBe(false);
  });

  it('certificate keys are 64 lowercase hex digits', () => {
    expect(isCertificateKey(KEY)).toBe(true);
    expect(isCertificateKey(KEY.toUpperCase())).toBe(false);
    expect(isCertificateKey(KEY.slice(2))).toBe(false);
    expect(isCertificateKey(`${KEY}0`)).toBe(false);
    expect(isCertificateKey('g'.repeat(64))).toBe(false);
  });

  it('CA hashes are sha256:<64 hex>', () => {
    expect(isCaCertHash(`sha256:${KEY}`)).toBe(true);
    expect(isCaCertHash(KEY)).toBe(false);
    expect(isCaCertHash(`sha1:${KEY}`)).toBe(false);
    expect(isCaCertHash(`sha256:${KEY.slice(1)}`)).toBe(false);
  });

  it('the token ID is the public half', () => {
    expect(bootstrapTokenId('abcdef.0123456789abcdef')).toBe('abcdef');
    expect(bootstrapTokenId('abcdef')).toBe('abcdef');
    expect(() => bootstrapTokenId('abcdef.SECRET')).toThrow(/not a bootstrap token/);
    expect(() => bootstrapTokenId('abcdef.SECRET')).not.toThrow(/SECRET/);
  });

  it('lists every credential problem without the values', () => {
    expect(joinCredentialProblems({ token: 'abcdef.0123456789abcdef', caCertHash: `sha256:${KEY}`, certificateKey: KEY })).toEqual([]);
    const problems = joinCredentialProblems({ token: 'abcdef.topsecretvalue', caCertHash: 'sha256:', certificateKey: 'xyz' });
    expect(problems).toHaveLength(3);
    expect(problems.join(' ')).not.toMatch(/topsecretvalue|xyz/);
  });
});
