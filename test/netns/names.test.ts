import { describe, expect, it } from 'vitest';
import { bareAddress, newLabIdentity, parseLabCidr, parseLabName } from './names.js';

describe('lab names and addresses', () => {
  it('names labs <prefix>-<pid>-<id> and recognises them, and only them', () => {
    const a = newLabIdentity('khalab');
    const b = newLabIdentity('khalab');
    expect(a.stem).toMatch(new RegExp(`^khalab-${process.pid}-[0-9a-f]{6}$`));
    expect(a.id).not.toBe(b.id);
    expect(parseLabName('khalab', `${a.stem}-master-0`)).toEqual(a);
    expect(parseLabName('khalab', `${a.stem}-AbCdEf`)).toEqual(a);
    expect(parseLabName('khalab', 'khalabx-1-abcdef-h')).toBeUndefined();
    expect(parseLabName('khalab', 'kaexp1')).toBeUndefined();
    expect(() => newLabIdentity('Bad-Prefix')).toThrow(/prefix/);
  });

  it('accepts 198.18.0.0/15 addresses with a prefix length only', () => {
    expect(parseLabCidr('198.18.0.11/24')).toEqual({ address: '198.18.0.11', prefixLength: 24, cidr: '198.18.0.11/24' });
    expect(parseLabCidr('198.19.255.1/16').address).toBe('198.19.255.1');
    for (const bad of ['10.0.0.1/24', '192.168.1.1/24', '198.20.0.1/24', '8.8.8.8/32', '198.18.0.1/8', '2001:db8::1/64']) {
      expect(() => parseLabCidr(bad), bad).toThrow(/outside 198\.18\.0\.0\/15/);
    }
    expect(() => parseLabCidr('198.18.0.1')).toThrow(/prefix length/);
    expect(bareAddress('198.18.0.100/24')).toBe('198.18.0.100');
  });
});
