import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['lib/**/*.test.ts', 'core/**/*.test.ts', 'agent/**/*.test.ts', 'coordinator/**/*.test.ts', 'test/**/*.test.ts', 'packaging/**/*.test.ts'],
    globalSetup: ['test/setup/global.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration suites start real daemons on fixed loopback ports and namespaces; run files one at a time.
    fileParallelism: false,
  },
});
