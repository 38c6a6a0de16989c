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

describe('spec.controlPlaneEndpoint.keepalived.profile', () => {
  const withKeepalived = (fields: Record<string, unknown>) => {
    const doc = parseDocument(FIXTURE);
    for (const [k, v] of Object.entries(fields)) doc.setIn(['spec', 'controlPlaneEndpoint', 'keepalived', k], v);
    return loadSpec(doc.toString()).spec;
  };

  it('is standard with 200 ms adverts by default, fast with 100 ms, and an explicit interval wins over either', () => {
    expect(loadSpec(FIXTURE).spec.controlPlaneEndpoint.keepalived).toMatchObject({ profile: 'standard', advertIntervalMs: 200 });
    expect(withKeepalived({ profile: 'fast' }).controlPlaneEndpoint.keepalived).toMatchObject({ profile: 'fast', advertIntervalMs: 100 });
    expect(withKeepalived({ profile: 'fast', advertIntervalMs: 300 }).controlPlaneEndpoint.keepalived).toMatchObject({
      profile: 'fast',
      advertIntervalMs: 300,
    });
    expect(withKeepalived({ advertIntervalMs: 1000 }).controlPlaneEndpoint.keepalived).toMatchObject({ profile: 'standard', advertIntervalMs: 1000 });
  });

  it('is written back with the interval it resolved to, so the stored spec reads back the same', () => {
    const spec = withKeepalived({ profile: 'fast' });
    const written = specToObject(spec) as { spec: { controlPlaneEndpoint: { keepalived: unknown } } };
    expect(written.spec.controlPlaneEndpoint.keepalived).toMatchObject({ profile: 'fast', advertIntervalMs: 100 });
    expect(sameSpec(spec, specFromObject(JSON.parse(JSON.stringify(written)) as unknown))).toBe(true);
    expect(sameSpec(spec, loadSpec(FIXTURE).spec)).toBe(false);
  });

  it('a spec stored before profiles existed (no profile key) reads back as the standard profile it was', () => {
    const stored = JSON.parse(JSON.stringify(specToObject(loadSpec(FIXTURE).spec))) as {
      spec: { controlPlaneEndpoint: { keepalived: Record<string, unknown> } };
    };
    expect(stored.spec.controlPlaneEndpoint.keepalived.profile).toBe('standard');
    delete stored.spec.controlPlaneEndpoint.keepalived.profile;
    expect(sameSpec(loadSpec(FIXTURE).spec, specFromObject(stored))).toBe(true);
  });

  it('refuses a profile it does not know, naming the two it does', () => {
    expect(() => withKeepalived({ profile: 'turbo' })).toThrow(/keepalived\.profile.*"standard" or "fast"/s);
  });
});
