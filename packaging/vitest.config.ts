// `npm test` runs the packaging tests with everything else; this config runs them alone:
//   npx vitest run --config packaging/vitest.config.ts
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import base from '../vitest.config.js';

export default defineConfig({
  ...base,
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: { ...base.test, include: ['packaging/**/*.test.ts'] },
});
