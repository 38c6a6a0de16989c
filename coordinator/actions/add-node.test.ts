import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { specFromObject, specToObject, type ClusterSpec } from '../../core/spec.js';
import { loadSpec } from '../../core/validate.js';
import { REPO_ROOT } from '../../test/kubeadm-sim/testing.js';
import { addNodeProblems } from './add-node.js';
import { specWithoutNode } from './remove-node.js';

const text = readFileSync(join(REPO_ROOT, 'test/fixtures/cluster.yaml'), 'utf8');
const full = loadSpec(text).spec;
const without = (spec: ClusterSpec, name: string): ClusterSpec => ({ ...spec, nodes: spec.nodes.filter((n) => n.name !== name) });

describe('add-node spec check', () => {
  const newest = full.nodes.filter((n) => n.role === 'control-plane').at(-1)!.name;

  it('accepts the stored spec plus exactly the named node', () => {
    expect(addNodeProblems(without(full, newest), full, newest)).toEqual([]);
  });

  it('accepts it when the stored spec was read back from the store (the deployed one, as the coordinator holds it)', () => {
    // The store keeps specToObject's shape, with every default written out; cluster.yaml leaves them out.
    const stored = specFromObject(JSON.parse(JSON.stringify(specToObject(without(full, newest)))), 'kha-state spec');
    expect(addNodeProblems(stored, full, newest)).toEqual([]);
  });

  it('refuses a spec that does not list the node', () => {
    expect(addNodeProblems(without(full, newest), without(full, newest), newest)[0]).toMatch(/not in the given cluster.yaml/);
  });

  it('refuses other changes: another node added, or a setting changed', () => {
    const worker = full.nodes.find((n) => n.role === 'worker')!.name;
    expect(addNodeProblems(without(without(full, newest), worker), full, newest)[0]).toMatch(/other nodes differ/);
    const changed: ClusterSpec = { ...full, kubernetes: { ...full.kubernetes, podSubnet: '198.19.0.0/16' } };
    expect(addNodeProblems(without(full, newest), changed, newest)[0]).toMatch(/settings other than the new node/);
  });
});

describe('remove-node spec edit', () => {
  it('drops exactly the node and keeps the rest valid', () => {
    const name = full.nodes[0]!.name;
    const next = specWithoutNode(full, name);
    expect(next.nodes.map((n) => n.name)).toEqual(full.nodes.slice(1).map((n) => n.name));
    expect(next.controlPlaneEndpoint).toEqual(full.controlPlaneEndpoint);
  });

  it('refuses to leave a spec without control-plane nodes', () => {
    let spec = full;
    for (const n of full.nodes.filter((x) => x.role === 'control-plane').slice(1)) spec = specWithoutNode(spec, n.name);
    expect(() => specWithoutNode(spec, spec.nodes.find((n) => n.role === 'control-plane')!.name)).toThrow();
  });
});
