/** What every benchmark returns and how it is printed, and the "run me alone" entry shared by all of them. */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { formatTable } from '../../core/format/table.js';

export interface BenchRow {
  metric: string;
  value: number;
  unit: string;
  target?: string;
}

export interface BenchResult {
  name: string;
  rows: BenchRow[];
}

export function formatBenchResult(result: BenchResult): string {
  return `${result.name}\n${formatTable(
    ['metric', 'value', 'target'],
    result.rows.map((r) => [r.metric, `${r.value} ${r.unit}`, r.target ?? '']),
  )}`;
}

/**
 * Whether the module at `moduleUrl` is the program: run by node with it as argv[1] (compiled), or as vite-node's entry,
 * which leaves no trace in argv; an entry is executed by the runner itself, an import through another module's request.
 */
function isEntry(moduleUrl: string): boolean {
  const entry = process.argv[1];
  if (entry && pathToFileURL(resolve(entry)).href === moduleUrl) return true;
  const stack = new Error().stack ?? '';
  return /vite-node$/.test(entry ?? '') && stack.includes('executeFile') && !stack.includes('dependencyRequest');
}

/** Runs `bench` and prints its table and JSON when the calling module is the program (`npx vite-node test/bench/x.ts`). */
export async function runWhenEntry(moduleUrl: string, bench: () => Promise<BenchResult>): Promise<void> {
  if (!isEntry(moduleUrl)) return;
  const result = await bench();
  process.stdout.write(`${formatBenchResult(result)}\n\n${JSON.stringify(result, null, 2)}\n`);
  process.exit(0);
}
