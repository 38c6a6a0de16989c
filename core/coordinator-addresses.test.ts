import { describe, expect, it } from 'vitest';
import { nextCoordinator, parseCoordinatorAddresses } from './coordinator-addresses.js';

describe('coordinator addresses', () => {
  it('parses one or several host:port, and names what is wrong', () => {
    expect(parseCoordinatorAddresses('198.18.0.2:9443')).toEqual({ addresses: ['198.18.0.2:9443'] });
    expect(parseCoordinatorAddresses(' a.example:9443, [fd00::1]:9443 ,a.example:9443')).toEqual({ addresses: ['a.example:9443', '[fd00::1]:9443'] });
    expect(parseCoordinatorAddresses('198.18.0.2')).toEqual({ problem: '"198.18.0.2" is not host:port (e.g. 198.18.0.2:9443)' });
    expect(parseCoordinatorAddresses('a:0')).toHaveProperty('problem');
    expect(parseCoordinatorAddresses(' , ')).toHaveProperty('problem');
    expect(parseCoordinatorAddresses(Array.from({ length: 17 }, (_, i) => `h${i}:1`).join(','))).toHaveProperty('problem');
  });

  it('follows a leader hint, else goes round the list', () => {
    const list = ['a:1', 'b:1', 'c:1'];
    expect(nextCoordinator(list, 'a:1', 'c:1')).toBe('c:1');
    expect(nextCoordinator(list, 'a:1', 'elsewhere:2')).toBe('elsewhere:2');
    expect(nextCoordinator(list, 'a:1', 'not an address')).toBe('b:1');
    expect(nextCoordinator(list, 'c:1')).toBe('a:1');
    expect(nextCoordinator(list, 'elsewhere:2')).toBe('a:1');
    expect(nextCoordinator(list, 'a:1', 'a:1')).toBe('b:1');
  });
});
