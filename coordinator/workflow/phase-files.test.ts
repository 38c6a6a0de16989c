/**
 * One phase per file, named for what it does: a phase's id is its file name, so `status`, `plan`, a failure message
 * and the source all say the same word. Checked over every phase folder, so a new phase cannot drift.
 */
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../test/kubeadm-sim/testing.js';

const PHASES_DIR = join(REPO_ROOT, 'coordinator', 'phases');

function isPhase(value: unknown): value is { id: string; title: string } {
  const v = value as Record<string, unknown> | null;
  return typeof v === 'object' && v !== null && typeof v.id === 'string' && typeof v.run === 'function' && typeof v.describe === 'function' && 'shouldRun' in v;
}

async function phasesByFile(): Promise<{ file: string; ids: string[] }[]> {
  const out: { file: string; ids: string[] }[] = [];
  for (const action of readdirSync(PHASES_DIR)) {
    for (const file of readdirSync(join(PHASES_DIR, action))) {
      if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue;
      const module = (await import(join(PHASES_DIR, action, file))) as Record<string, unknown>;
      out.push({
        file: `${action}/${file}`,
        ids: Object.values(module)
          .filter(isPhase)
          .map((p) => p.id),
      });
    }
  }
  return out;
}

describe('phase files', () => {
  it('every phase file exports exactly one phase, whose id is its file name', async () => {
    const files = await phasesByFile();
    const phaseFiles = files.filter((f) => f.ids.length > 0);
    expect(phaseFiles.length).toBeGreaterThan(20);
    for (const f of phaseFiles) expect({ file: f.file, ids: f.ids }).toEqual({ file: f.file, ids: [basename(f.file, '.ts')] });
  });

  it('no phase id is used twice across actions', async () => {
    const ids = (await phasesByFile()).flatMap((f) => f.ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
