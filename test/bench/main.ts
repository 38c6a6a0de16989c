/**
 * `npm run bench`: every benchmark in turn, a table each and one JSON document at the end. Benchmarks measure; they
 * assert nothing (the targets are printed next to the figures). `npm run bench -- deploy fanout` runs a subset.
 */
import { formatBenchResult, type BenchResult } from './result.js';

const BENCHES: Record<string, () => Promise<BenchResult>> = {
  deploy: async () => (await import('./deploy.js')).benchDeploy(),
  'runtime-apply': async () => (await import('./runtime-apply.js')).benchRuntimeApply(),
  fanout: async () => (await import('./fanout.js')).benchFanout(),
  registrations: async () => (await import('./registrations.js')).benchRegistrations(),
  failover: async () => (await import('./failover.js')).benchFailover(),
  binaries: async () => (await import('./binaries.js')).benchBinaries(),
  agent: async () => (await import('./agent.js')).benchAgent(),
  maintenance: async () => (await import('./maintenance.js')).benchMaintenance(),
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
/**
 * `bench` is the key above, the same in every run, for whoever tracks the figures: `name` says how the benchmark ran
 * (sizes, settings) and may change with them, as may the metrics of a pass an environment variable turns off.
 */
const results: ((BenchResult & { bench: string }) | { bench: string; name: string; error: string })[] = [];
for (const [name, bench] of Object.entries(BENCHES)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  process.stderr.write(`bench: ${name}…\n`);
  try {
    const result = await bench();
    results.push({ bench: name, ...result });
    process.stdout.write(`${formatBenchResult(result)}\n\n`);
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    results.push({ bench: name, name, error });
    process.stdout.write(`${name}: could not run: ${error}\n\n`);
  }
}
process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
process.exit(results.some((r) => 'error' in r) ? 1 : 0);
