import { dirname, resolve } from 'node:path';
import type { SpecIssue } from '../../core/errors.js';
import type { ClusterSpec } from '../../core/spec.js';
import { loadSpec } from '../../core/validate.js';
import { readUserFile } from '../../lib/fs.js';

export interface LoadedSpec {
  readonly path: string;
  readonly text: string;
  readonly spec: ClusterSpec;
  readonly warnings: readonly SpecIssue[];
  /** The registry config.json content when the spec names one; read relative to the spec file. */
  readonly registryConfigJson?: string;
}

export async function loadSpecFile(path: string): Promise<LoadedSpec> {
  const text = await readUserFile(path, 'the cluster spec', 'pass the path of your cluster.yaml with -f');
  const { spec, warnings } = loadSpec(text, path);
  let registryConfigJson: string | undefined;
  if (spec.registryAuth) {
    const configPath = resolve(dirname(path), spec.registryAuth.configJson);
    registryConfigJson = await readUserFile(
      configPath,
      'spec.registryAuth.configJson',
      'point it at the config.json that `docker login` wrote, relative to the spec file',
    );
  }
  return { path, text, spec, warnings, ...(registryConfigJson !== undefined ? { registryConfigJson } : {}) };
}
