// One CommonJS file per entry point: Node's single executable applications run a single CommonJS script, with a
// `require` that only reaches built-in modules, so every dependency has to be inside the bundle.
import { build } from 'esbuild';
import { renderBuildInfo } from './build-info.mjs';

const IMPORT_META_URL = '__kubeadm_ha_import_meta_url';

/** Substitutes the stamped version and commit for the committed, unstamped core/generated/build-info.ts. */
function buildInfoPlugin(buildInfo) {
  return {
    name: 'kubeadm-ha-build-info',
    setup(b) {
      b.onLoad({ filter: /[\\/]core[\\/]generated[\\/]build-info\.ts$/ }, () => ({ contents: renderBuildInfo(buildInfo), loader: 'ts' }));
    },
  };
}

/**
 * Bundles `entry` (a TypeScript source) into `outfile`. Fails on anything the single executable could not load at
 * run time: a native addon, or an `import.meta` property other than `url` (which the banner below provides).
 * Returns the esbuild metafile, whose inputs name every bundled package (the copyright file lists them).
 */
export async function bundleEntry({ entry, outfile, buildInfo, absWorkingDir, nodeVersion }) {
  const result = await build({
    absWorkingDir,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    // The runtime the executable embeds, not the one running the build.
    target: `node${nodeVersion}`,
    // ESM sources ask for their own URL; in the executable __filename is the executable itself.
    define: { 'import.meta.url': IMPORT_META_URL },
    banner: { js: `var ${IMPORT_META_URL} = require('node:url').pathToFileURL(__filename).href;` },
    plugins: [buildInfoPlugin(buildInfo)],
    metafile: true,
    logLevel: 'silent',
    legalComments: 'eof',
  });
  const problems = result.warnings
    .filter((w) => w.id === 'empty-import-meta' || /import\.meta/.test(w.text))
    .map((w) => `${w.location ? `${w.location.file}:${w.location.line}: ` : ''}${w.text}`);
  const addons = Object.keys(result.metafile.inputs).filter((f) => f.endsWith('.node'));
  if (addons.length > 0) problems.push(`native addons cannot be embedded: ${addons.join(', ')}`);
  if (problems.length > 0) throw new Error(`bundling ${entry}:\n  ${problems.join('\n  ')}`);
  return { metafile: result.metafile, warnings: result.warnings };
}
