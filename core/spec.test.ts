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

describe('spec.kubernetes.etcd.snapshots', () => {
  it('is parsed to milliseconds with a default count, and written back as cluster.yaml says it', () => {
    const doc = parseDocument(FIXTURE);
    doc.setIn(['spec', 'kubernetes', 'etcd', 'snapshots'], { every: '6h' });
    const { spec } = loadSpec(doc.toString());
    expect(spec.kubernetes.etcd?.snapshots).toEqual({ everyMs: 6 * 3_600_000, keep: 8 });
    const written = specToObject(spec) as { spec: { kubernetes: { etcd: unknown } } };
    expect(written.spec.kubernetes.etcd).toMatchObject({ snapshots: { every: '6h', keep: 8 } });
    expect(sameSpec(spec, specFromObject(JSON.parse(JSON.stringify(written)) as unknown))).toBe(true);
  });
});
