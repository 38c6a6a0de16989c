// One CommonJS file per entry point: Node's single executable applications run a single CommonJS script, with a
// `require` that only reaches built-in modules, so every dependency has to be inside the bundle.
import { readFileSync } from 'node:fs';
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
    // V8 keeps the whole script's source on the heap for as long as the process runs (functions are compiled from it
    // when first called), and one character outside Latin-1 in it (a "—" in a comment) makes that a two-byte string:
    // unminified, 4.2 MB of source took 8.5 MB of heap. Without whitespace and comments it is 3 MB of one-byte text.
    // Names are kept (no minifyIdentifiers): stack traces and class names stay readable.
    minifyWhitespace: true,
    metafile: true,
    logLevel: 'silent',
    legalComments: 'eof',
  });
  const problems = result.warnings
    .filter((w) => w.id === 'empty-import-meta' || /import\.meta/.test(w.text))
    .map((w) => `${w.location ? `${w.location.file}:${w.location.line}: ` : ''}${w.text}`);
  const addons = Object.keys(result.metafile.inputs).filter((f) => f.endsWith('.node'));
  if (addons.length > 0) problems.push(`native addons cannot be embedded: ${addons.join(', ')}`);
  // esbuild escapes such characters in strings and identifiers (charset: 'ascii'); a legal comment or a regular
  // expression can still carry one, and would double the source's heap footprint (above).
  const wide = /[\u0100-\uffff]/.exec(readFileSync(outfile, 'utf8'));
  if (wide) {
    const around = wide.input.slice(Math.max(0, wide.index - 60), wide.index + 20);
    problems.push(
      `a character outside Latin-1 (U+${wide[0].codePointAt(0).toString(16).toUpperCase()}) in ${outfile}: ${JSON.stringify(around)}; write it as a \\u escape`,
    );
  }
  if (problems.length > 0) throw new Error(`bundling ${entry}:\n  ${problems.join('\n  ')}`);
  return { metafile: result.metafile, warnings: result.warnings };
}
