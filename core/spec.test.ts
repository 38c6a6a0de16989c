import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { sameSpec, specFromObject, specToObject } from './spec.js';
import { loadSpec } from './validate.js';

const FIXTURE = readFileSync(new URL('../test/fixtures/cluster.yaml', import.meta.url), 'utf8');

describe('sameSpec', () => {
  const spec = loadSpec(FIXTURE).spec;

  it('a spec is the same as itself re-read from storage, and as the file with its keys reordered', () => {
    expect(sameSpec(spec, specFromObject(JSON.parse(JSON.stringify(specToObject(spec))) as unknown))).toBe(true);
    const doc = parseDocument(FIXTURE);
    const reordered = {
      spec: (doc.get('spec') as { toJSON(): unknown } | undefined)?.toJSON(),
      metadata: (doc.get('metadata') as { toJSON(): unknown } | undefined)?.toJSON(),
      kind: doc.get('kind'),
      apiVersion: doc.get('apiVersion'),
    };
    expect(sameSpec(spec, specFromObject(reordered))).toBe(true);
  });

  it('any setting that changes the cluster makes it another spec', () => {
    expect(sameSpec(spec, { ...spec, kubernetes: { ...spec.kubernetes, podSubnet: '10.32.0.0/16' } })).toBe(false);
    expect(sameSpec(spec, { ...spec, nodes: spec.nodes.slice(1) })).toBe(false);
    expect(sameSpec(spec, { ...spec, nodes: [...spec.nodes].reverse() })).toBe(false);
  });
});
