import { join } from 'node:path';
import { InputError } from '../../../core/errors.js';
import { findPlannedNode, planCluster } from '../../../core/plan.js';
import { renderNodeFiles } from '../../../core/render/node-files.js';
import type { RenderedFile } from '../../../core/render/types.js';
import { fileProblem, writeFileAtomic } from '../../../lib/fs.js';
import { loadSpecFile } from '../spec-file.js';
import { parseCommandArgs, requireOption, type Command, type CommandOptions } from '../command.js';

const FALLBACK_INTERFACE = 'eth0';

/** The flags `run` parses; `coordinatorctl completion` offers the same. */
const OPTIONS = {
  file: { type: 'string', short: 'f' },
  output: { type: 'string', short: 'o' },
  node: { type: 'string' },
} satisfies CommandOptions;

export const renderCommand: Command = {
  name: 'render',
  summary: "Write every node's files (keepalived, haproxy, manifests, kubeadm.yaml, …) into a directory",
  usage: 'coordinatorctl render -f cluster.yaml -o DIR [--node NAME]',
  options: OPTIONS,
  async run(args, io) {
    const { values } = parseCommandArgs(this, args, OPTIONS);
    const loaded = await loadSpecFile(requireOption(this, values.file, '-f'));
    const outDir = requireOption(this, values.output, '-o');
    const { spec } = loaded;
    for (const w of loaded.warnings) io.err(`warning: ${w.path}: ${w.message}\n`);
    const plan = planCluster(spec);
    const nodes = values.node ? [findPlannedNode(plan, values.node)] : [...plan.controlPlane, ...plan.workers];
    if (nodes[0] === undefined) {
      throw new InputError(`no node named "${values.node}" in ${loaded.path}; nodes are: ${spec.nodes.map((n) => n.name).join(', ')}`);
    }
    // Render everything before writing anything: a renderer error must not leave half a directory behind.
    const rendered: { node: string; files: RenderedFile[] }[] = [];
    for (const node of nodes) {
      if (!node) continue;
      if (!node.interface && node.role === 'control-plane') {
        io.err(`warning: spec.nodes: ${node.name} has no interface; rendered with ${FALLBACK_INTERFACE} (at deploy the agent detects the real one)\n`);
      }
      rendered.push({
        node: node.name,
        files: renderNodeFiles(plan, node, {
          interface: node.interface ?? FALLBACK_INTERFACE,
          kubeletDropIn: true,
          ...(loaded.registryConfigJson !== undefined
            ? { registryConfigJson: loaded.registryConfigJson, registryConfigSource: spec.registryAuth!.configJson }
            : {}),
        }),
      });
    }
    let count = 0;
    for (const { node, files } of rendered) {
      for (const file of files) {
        const path = join(outDir, node, file.path.replace(/^\/+/, ''));
        try {
          await writeFileAtomic(path, file.content, file.mode);
        } catch (err) {
          throw new InputError(`cannot write ${path}: ${fileProblem(err)}; pass -o a directory you can write to`);
        }
        count++;
      }
      io.out(`${node}: ${files.length} files\n`);
    }
    io.out(`wrote ${count} files under ${outDir}\n`);
    return 0;
  },
};
