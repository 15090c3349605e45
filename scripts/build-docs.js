#!/usr/bin/env node
// Usage: npm run docs   (node scripts/build-docs.js)
// Builds the documentation site: TypeDoc writes the API reference of the package's three entry
// points into docs/api/ (docs/typedoc.json: an export or a property without JSDoc fails here,
// and so does a type named by a public signature that is neither exported nor linked by its
// externalSymbolLinkMappings), VitePress builds docs/ into docs/.vitepress/dist (a link to a
// missing page fails here), then every link and anchor of the built site is checked
// (scripts/check-docs-links.js). Needs no service: Node.js and the locked devDependencies only.
// Prints how long each stage took; exits 1 at the first stage that fails.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const bin = (name) => join(REPO, 'node_modules/.bin', name);

const STAGES = [
  ['API reference (TypeDoc)', bin('typedoc'), ['--options', 'docs/typedoc.json']],
  ['site (VitePress)', bin('vitepress'), ['build', 'docs']],
  ['links', process.execPath, ['scripts/check-docs-links.js']],
];

const took = [];
for (const [stage, command, args] of STAGES) {
  const started = Date.now();
  const run = spawnSync(command, args, { cwd: REPO, stdio: 'inherit' });
  took.push(`${stage} ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (run.status !== 0) {
    console.error(
      `docs: the ${stage} stage failed (${run.error?.message ?? `exit ${run.status}`})`,
    );
    process.exit(1);
  }
}
console.log(`docs: built into docs/.vitepress/dist (${took.join(', ')})`);
