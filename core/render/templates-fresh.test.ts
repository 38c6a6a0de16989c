import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ESM build script without type declarations
import { generate } from '../../scripts/gen-templates.mjs';

describe('core/generated/templates.ts', () => {
  it('matches templates/ (run `npm run gen` after editing a template)', () => {
    const committed = readFileSync(new URL('../generated/templates.ts', import.meta.url), 'utf8');
    expect(committed).toBe((generate as () => string)());
  });
});
