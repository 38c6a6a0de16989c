import { readdirSync } from 'node:fs';
import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Two groups, one after the other (sequence.groupOrder):
 * - `parallel`: files that hold no fixed port, namespace or VRRP id and measure no timing a busy CPU could break (the
 *   pure core, the simulator's grammar and output, the kubelet stand-in's units, packaging), two at a time: packaging
 *   alone takes minutes of mostly one CPU, and the rest fits beside it.
 * - `system`: everything else, which starts real daemons, networks or timers (the daemons' unit tests included), one
 *   file at a time with the machine to itself. A test file in a new folder lands here, the safe side.
 */
const PARALLEL_FOLDERS = ['core/', 'lib/', 'test/kubeadm-sim/', 'test/kubelet-standin/', 'packaging/'];
/** In those folders, the files that build network-namespace labs (real etcd members, the stand-in's VIP moves). */
const LABS = new Set(['test/kubeadm-sim/etcd-real.test.ts', 'test/kubelet-standin/standin.test.ts']);
const TEST_ROOTS = ['lib', 'core', 'agent', 'coordinator', 'test', 'packaging'];

const testFiles = TEST_ROOTS.flatMap((root) =>
  readdirSync(root, { recursive: true, encoding: 'utf8' })
    .map((f) => `${root}/${f}`)
    .filter((f) => f.endsWith('.test.ts') && !f.includes('node_modules/')),
);
const parallel = testFiles.filter((f) => PARALLEL_FOLDERS.some((d) => f.startsWith(d)) && !LABS.has(f));
const system = testFiles.filter((f) => !parallel.includes(f));

const shared = { globalSetup: ['test/setup/global.ts'], testTimeout: 60_000, hookTimeout: 60_000, exclude: configDefaults.exclude };

export default defineConfig({
  test: {
    projects: [
      { test: { ...shared, name: 'parallel', include: parallel, maxWorkers: 2, minWorkers: 1, sequence: { groupOrder: 0 } } },
      {
        test: {
          ...shared,
          name: 'system',
          include: system,
          // Integration suites start real daemons on fixed loopback ports and namespaces; run files one at a time.
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
