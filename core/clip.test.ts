import { describe, expect, it } from 'vitest';
import { CLIP_DEFAULT_MAX, clip } from './clip.js';

describe('clip', () => {
  it('leaves a value within the bound alone', () => {
    expect(clip('master-0')).toBe('master-0');
    expect(clip('a'.repeat(CLIP_DEFAULT_MAX))).toBe('a'.repeat(CLIP_DEFAULT_MAX));
    expect(clip('')).toBe('');
  });

  it('shows the first characters and the total length of a longer value', () => {
    expect(clip('abcdefgh', 3)).toBe('abc… (8 characters)');
    expect(clip('x'.repeat(CLIP_DEFAULT_MAX + 1))).toBe(`${'x'.repeat(CLIP_DEFAULT_MAX)}… (${CLIP_DEFAULT_MAX + 1} characters)`);
  });

  it('turns an 8 MiB name into a short line', () => {
    const huge = 'n'.repeat(8 * 1024 * 1024);
    const shown = clip(huge);
    expect(shown.length).toBeLessThan(200);
    expect(shown).toContain('(8388608 characters)');
  });

  it('does not split a surrogate pair', () => {
    expect(clip('ab😀cd', 3)).toBe('ab… (6 characters)');
  });
});
