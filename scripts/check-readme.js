#!/usr/bin/env node
// Usage: node scripts/check-readme.js [--package] [FILE.md ...]   (README.md when none)
// Type-checks every ```ts block of each Markdown file against the library and the example app,
// with the repo's compiler options, and reports errors at their line in the Markdown file.
//
// Each block is a module of its own, with its own imports. A block whose first line is a path
// comment (`// src/reports/reports.tasks.ts`) is checked as that file: its relative imports reach
// the repo's files there (tsconfig rootDirs), or other blocks' files. Other blocks are checked
// as standalone files at the repo root. A ```prisma block whose first line is a path comment
// (`// prisma/schema.prisma`) is written there and `prisma generate` runs on it first, so the
// ts blocks type-check against the client generated from the schema the file shows.
//
// With --package, the files are read as npm shows them (the package README and the pages it
// links to): every link must be absolute (`#anchor` aside), nothing may name the repo's
// `@app/task-queue` alias, and a link into this repository's files must start with the
// repository URL of libs/task-queue/package.json and name a file that exists here; that
// package.json's bugs.url must be under the same URL, so it is changed in one place
// (repository.url) and this check lists everything else that must follow. Its homepage is the
// documentation site's address (docs/.vitepress/config.js reads it): an https URL ending in /,
// and a link under it must name a page the site has: docs/<name>.md is served as
// <homepage><name>.html, and an API reference page, <homepage>api/.../<Name>.html, must be
// named after an export of one of the package's entry points.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const FENCE_OPEN = /^```(ts|typescript)\s*$/;
const FENCE_CLOSE = /^```\s*$/;
const PATH_COMMENT = /^\/\/ ((?:src|test|libs)\/[\w./-]+\.ts)\s*$/;
const PRISMA_FENCE = /^```prisma\s*$/;
const PRISMA_PATH = /^\/\/ (prisma\/[\w./-]+\.prisma)\s*$/;
const TSC_ERROR = /^(.+?)\((\d+),(\d+)\): (.*)$/s;

/** The blocks of `markdown` opened by a line matching `fence`, with each one's first code line. */
function fencedBlocks(markdown, fence) {
  const lines = markdown.split('\n');
  const blocks = [];
  let open;
  lines.forEach((line, index) => {
    if (!open && fence.test(line)) {
      open = { line: index + 2, code: [] };
    } else if (open && FENCE_CLOSE.test(line)) {
      blocks.push({ line: open.line, code: open.code.join('\n') + '\n' });
      open = undefined;
    } else if (open) {
      open.code.push(line);
    }
  });
  if (open) throw new Error(`The block opened at line ${open.line - 1} is never closed`);
  return blocks;
}

/** The ```ts blocks of `markdown`, with the Markdown line of each block's first code line. */
export function extractBlocks(markdown) {
  return fencedBlocks(markdown, FENCE_OPEN).map((block, index) => {
    const path = PATH_COMMENT.exec(block.code.split('\n')[0])?.[1];
    return { ...block, number: index + 1, path: path ?? `readme-block-${index + 1}.ts` };
  });
}

/** The ```prisma blocks of `markdown` that name their file (`// prisma/schema.prisma`). */
function prismaSchemas(markdown) {
  return fencedBlocks(markdown, PRISMA_FENCE)
    .map((block) => ({ ...block, path: PRISMA_PATH.exec(block.code.split('\n')[0])?.[1] }))
    .filter((block) => block.path !== undefined);
}

/** The web address of a package.json `repository` (`git+https://host/owner/name.git`). */
export function repositoryWebUrl(repository) {
  const url = typeof repository === 'string' ? repository : repository?.url;
  if (!url) throw new Error('libs/task-queue/package.json has no repository.url');
  return url.replace(/^git\+/, '').replace(/\.git$/, '');
}

const INLINE_LINK = /\]\(\s*<?([^)\s>]+)>?[^)]*\)/g;
const REFERENCE_LINK = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/;
const HTML_LINK = /\b(?:href|src)\s*=\s*["']([^"']+)["']/g;
const ABSOLUTE = /^(?:https?:|mailto:|#)/;
const INTO_REPO = /^https:\/\/github\.com\/[^/]+\/[^/]+\/(?:blob|tree)\//;
const ENTRY_POINTS = [
  'libs/task-queue/src/index.ts',
  'libs/task-queue/src/testing/index.ts',
  'libs/task-queue/src/dashboard/index.ts',
];

/**
 * Why `path` (a link's path under the site's address, without its `#anchor`) names no page of
 * the documentation site built from `root`'s docs/, or undefined when it names one. The API
 * reference is generated (and may not be built yet), so, a heuristic, one of its pages is taken
 * to exist when its name appears in an entry point's text: a name only in a comment there, or
 * the right name under the wrong kind of page (`classes/` for an interface), passes too.
 */
function sitePageProblem(path, site, root) {
  if (path === '' || path === 'api/') return undefined;
  const api = /^api\/[\w./-]+\/(\w+)\.html$/.exec(path);
  if (api) {
    const name = new RegExp(`\\b${api[1]}\\b`);
    const exported = ENTRY_POINTS.some((entry) =>
      name.test(readFileSync(join(root, entry), 'utf8')),
    );
    return exported
      ? undefined
      : `the API reference has no page for ${api[1]}: no entry point of the package exports it`;
  }
  const page = /^(.+)\.html$/.exec(path)?.[1];
  if (!page) return `the site's pages end in .html: docs/<name>.md is served as ${site}<name>.html`;
  return existsSync(join(root, 'docs', `${page}.md`))
    ? undefined
    : `there is no docs/${page}.md, which the site would serve as that page`;
}

/**
 * What keeps `markdown` from working where npm shows it, away from the repository: relative
 * links, the repo's `@app/task-queue` alias, links into the repository's files that do not
 * start with `webUrl` (the package's repository) or name no file of `root`, and links under
 * `site` (the documentation site's address, when given) that name none of its pages. Each
 * problem is `{ line, message }`, line 1-based.
 */
export function standaloneProblems(markdown, webUrl, root, site) {
  const problems = [];
  let inFence = false;
  markdown.split('\n').forEach((text, index) => {
    const line = index + 1;
    if (text.includes('@app/task-queue')) {
      problems.push({
        line,
        message:
          "names '@app/task-queue', the repo's own alias: package users import 'nestjs-task-queue'",
      });
    }
    if (/^\s*```/.test(text)) inFence = !inFence;
    if (inFence || /^\s*```/.test(text)) return;
    const targets = [
      ...[...text.matchAll(INLINE_LINK)].map((match) => match[1]),
      ...[...text.matchAll(HTML_LINK)].map((match) => match[1]),
      ...(REFERENCE_LINK.exec(text)?.slice(1, 2) ?? []),
    ];
    for (const target of targets) {
      if (!ABSOLUTE.test(target)) {
        problems.push({
          line,
          message: `links to '${target}' by a relative path, which the npm page and the tarball cannot follow: use ${webUrl}/blob/main/<path from the repo root>`,
        });
      } else if (site && target.startsWith(site)) {
        const problem = sitePageProblem(
          target.slice(site.length).replace(/[#?].*$/, ''),
          site,
          root,
        );
        if (problem) problems.push({ line, message: `links to '${target}': ${problem}` });
      } else if (INTO_REPO.test(target)) {
        const prefix = [`${webUrl}/blob/main/`, `${webUrl}/tree/main/`].find((start) =>
          target.startsWith(start),
        );
        const path =
          prefix && decodeURIComponent(target.slice(prefix.length).replace(/[#?].*$/, ''));
        if (!prefix) {
          problems.push({
            line,
            message: `links to '${target}': a link into the repository starts with ${webUrl}/blob/main/ (repository.url of libs/task-queue/package.json)`,
          });
        } else if (!existsSync(join(root, path))) {
          problems.push({
            line,
            message: `links to '${target}': there is no ${path} in the repository`,
          });
        }
      }
    }
  });
  return problems;
}

/** Writes the file's Prisma schemas into `work` and generates their clients there. */
function generatePrismaClients(schemas, work, shown) {
  if (schemas.length === 0) return true;
  // `prisma generate` needs no schema engine, but the CLI fetches one at start unless a binary
  // is named: this one says why it is there, should anything ever run it.
  const noEngine = join(work, 'schema-engine-unused');
  writeFileSync(
    noEngine,
    '#!/bin/sh\necho "check-readme: no schema engine here, prisma generate needs none" >&2\nexit 1\n',
  );
  chmodSync(noEngine, 0o755);
  const prisma = createRequire(import.meta.url).resolve('prisma/build/index.js');
  for (const schema of schemas) {
    const file = join(work, schema.path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, schema.code);
    const run = spawnSync(process.execPath, [prisma, 'generate', '--schema', file], {
      cwd: work,
      encoding: 'utf8',
      env: {
        ...process.env,
        PRISMA_SCHEMA_ENGINE_BINARY: noEngine,
        PRISMA_HIDE_UPDATE_MESSAGE: '1',
        CHECKPOINT_DISABLE: '1', // no version check over the network
      },
    });
    if (run.status !== 0) {
      console.error(`${run.stdout}${run.stderr}`.trim());
      console.error(`${shown}:${schema.line - 1}: prisma generate failed on ${schema.path}`);
      return false;
    }
  }
  return true;
}

/**
 * Writes every ts block of `markdown` under `work` as its file, after generating the clients of
 * its Prisma schemas there; false when `prisma generate` failed (it says why on stderr).
 */
export function writeBlocks(markdown, work, shown = 'markdown') {
  mkdirSync(work, { recursive: true });
  if (!generatePrismaClients(prismaSchemas(markdown), work, shown)) return false;
  for (const block of extractBlocks(markdown)) {
    mkdirSync(dirname(join(work, block.path)), { recursive: true });
    writeFileSync(join(work, block.path), block.code);
  }
  return true;
}

/**
 * One compiler host for every file a run checks: the files that are not blocks (the library, the
 * example, the packages' declarations) are read and parsed once, then shared by each file's
 * program, as an editor's language service shares them between edits.
 */
const parsed = new Map();
const host = ts.createCompilerHost({});
const readSourceFile = host.getSourceFile;
host.getSourceFile = (fileName, languageVersion, ...rest) => {
  if (resolve(fileName).startsWith(join(REPO, '.readme-check'))) {
    return readSourceFile.call(host, fileName, languageVersion, ...rest);
  }
  const { languageVersion: version = languageVersion, impliedNodeFormat } =
    typeof languageVersion === 'object' ? languageVersion : {};
  const key = `${fileName}\0${version}\0${impliedNodeFormat}`;
  if (!parsed.has(key))
    parsed.set(key, readSourceFile.call(host, fileName, languageVersion, ...rest));
  return parsed.get(key);
};

/**
 * What tsc would report for the blocks, as `file(line,col): error TSn: message` lines: the
 * errors of the configuration, then each block's own. The files the blocks import are not
 * checked here beyond what the blocks use of them: `npm run typecheck` checks the library and
 * the example whole.
 */
function typeCheck(tsconfigFile, blockFiles) {
  const config = ts.getParsedCommandLineOfConfigFile(
    tsconfigFile,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
      },
    },
  );
  const program = ts.createProgram({ rootNames: config.fileNames, options: config.options, host });
  const diagnostics = [
    ...config.errors,
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...blockFiles.flatMap((file) => {
      const source = program.getSourceFile(file);
      return source
        ? [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]
        : [];
    }),
  ];
  return diagnostics.map((diagnostic) => {
    const message = `error TS${diagnostic.code}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
    if (!diagnostic.file || diagnostic.start === undefined) return message;
    const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    return `${relative(REPO, diagnostic.file.fileName)}(${line + 1},${character + 1}): ${message}`;
  });
}

function checkFile(readme, { packageDocs }) {
  const shown = relative(process.cwd(), readme) || readme;
  const markdown = readFileSync(readme, 'utf8');
  if (packageDocs) {
    const manifest = JSON.parse(readFileSync(join(REPO, 'libs/task-queue/package.json'), 'utf8'));
    const webUrl = repositoryWebUrl(manifest.repository);
    const problems = standaloneProblems(markdown, webUrl, REPO, manifest.homepage);
    if (!(typeof manifest.bugs?.url === 'string' && manifest.bugs.url.startsWith(webUrl))) {
      problems.push({
        line: 1,
        message: `libs/task-queue/package.json's bugs.url (${manifest.bugs?.url}) is not under its repository.url (${webUrl})`,
      });
    }
    if (!/^https:\/\/[^/]+\/(?:.*\/)?$/.test(manifest.homepage ?? '')) {
      problems.push({
        line: 1,
        message: `libs/task-queue/package.json's homepage (${manifest.homepage}) is not the documentation site's address: an https URL ending in /`,
      });
    }
    for (const { line, message } of problems) console.error(`${shown}:${line}: ${message}`);
    if (problems.length > 0) {
      console.error(`${shown}: does not stand alone as package documentation`);
      return 1;
    }
  }
  const blocks = extractBlocks(markdown);
  if (blocks.length === 0) {
    console.log(`${shown}: no ts blocks`);
    return 0;
  }
  const seen = new Map();
  for (const block of blocks) {
    const other = seen.get(block.path);
    if (other) {
      console.error(
        `${shown}:${block.line}: block ${block.number} names ${block.path}, as block ${other.number} does`,
      );
      return 1;
    }
    seen.set(block.path, block);
  }

  // Inside the repo, so that the blocks' imports find its node_modules; removed afterwards.
  const work = join(REPO, '.readme-check', `${process.pid}-${randomBytes(3).toString('hex')}`);
  try {
    if (!writeBlocks(markdown, work, shown)) return 1;
    const tsconfig = {
      extends: join(REPO, 'tsconfig.json'),
      compilerOptions: { noEmit: true, rootDirs: [work, REPO], types: ['node', 'jest'] },
      files: blocks.map((block) => join(work, block.path)),
      include: [],
    };
    writeFileSync(join(work, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
    const errors = typeCheck(join(work, 'tsconfig.json'), tsconfig.files);
    if (errors.length === 0) {
      console.log(`${shown}: all ${blocks.length} ts blocks type-check`);
      return 0;
    }
    const byFile = new Map(blocks.map((block) => [resolve(work, block.path), block]));
    for (const line of errors) {
      const match = TSC_ERROR.exec(line);
      const block = match && byFile.get(resolve(REPO, match[1]));
      if (!block) {
        console.error(line);
        continue;
      }
      const [, , row, column, message] = match;
      const at = `${shown}:${block.line + Number(row) - 1}:${column}`;
      console.error(`${at} (block ${block.number}, ${block.path}): ${message}`);
    }
    console.error(`${shown}: ts blocks do not type-check`);
    return 1;
  } finally {
    rmSync(work, { recursive: true, force: true });
    try {
      rmdirSync(join(REPO, '.readme-check')); // Only when no other run is using it.
    } catch {
      // Not empty, or already gone.
    }
  }
}

function main(args) {
  const packageDocs = args.includes('--package');
  const files = args.filter((arg) => arg !== '--package');
  if (files.length === 0) files.push(join(REPO, 'README.md'));
  let status = 0;
  for (const file of files) status = Math.max(status, checkFile(resolve(file), { packageDocs }));
  return status;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
