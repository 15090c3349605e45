#!/usr/bin/env node
// Usage: node scripts/check-docs-links.js [DIST]   (docs/.vitepress/dist when none)
// Checks every link of the built documentation site (`npm run docs` runs it after the build):
// each internal link names a page or file of the site, and its #anchor an id on that page; each
// link into this repository's files by its web address (repository.url of
// libs/task-queue/package.json, then /blob/main/ or /tree/main/) names a file that exists here,
// and its #anchor a heading of that Markdown file as GitHub makes its ids. Reads the built HTML,
// so the sidebar, the navigation and the generated API reference are checked as well as the
// pages, with the ids VitePress gave the headings. The repo README.md, which GitHub shows and
// which is not a page of the site, is read as Markdown: each relative link names a file of the
// repository, and its #anchor (or a link to #anchor alone) a heading as GitHub makes its ids.
// Prints each broken link with the page it is on; exits 1 when there is any.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const ORIGIN = 'http://docs.invalid';

/** Every file under `dir`, as paths relative to it with forward slashes. */
function filesUnder(dir) {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((file) => statSync(join(dir, file)).isFile())
    .map((file) => file.split(sep).join('/'));
}

const decodeEntities = (text) =>
  text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/** The ids of an HTML page and the targets of its links (`<a href>`). */
function parsePage(html) {
  const ids = new Set(
    [...html.matchAll(/\sid="([^"]*)"/g)].map((match) => decodeEntities(match[1])),
  );
  const hrefs = [...html.matchAll(/<a\s[^>]*?href="([^"]*)"/g)].map((match) =>
    decodeEntities(match[1]),
  );
  return { ids, hrefs };
}

/**
 * The ids GitHub gives the headings of a Markdown file: the heading's text without its markup,
 * lower-cased, punctuation dropped, spaces as hyphens; a repeated one gets `-1`, `-2`, ...
 */
export function githubAnchors(markdown) {
  const anchors = new Set();
  const seen = new Map();
  let inFence = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    const heading = !inFence && /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const text = heading[1]
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/<[^>]+>/g, '')
      .replace(/[`*_~]/g, (mark) => (mark === '_' ? '_' : ''));
    const slug = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** The web address of libs/task-queue/package.json's repository, and the site's base path. */
function siteFacts() {
  const manifest = JSON.parse(readFileSync(join(REPO, 'libs/task-queue/package.json'), 'utf8'));
  const repository = manifest.repository.url.replace(/^git\+/, '').replace(/\.git$/, '');
  return { repository, base: new URL(manifest.homepage).pathname };
}

/**
 * The broken links of the site built into `dist`, each `{ page, href, problem }`; `base` is the
 * path the site is served under, `repository` the web address of the repository.
 */
export function brokenLinks(dist, { base, repository } = siteFacts()) {
  const files = new Set(filesUnder(dist));
  const pages = new Map();
  const pageOf = (file) => {
    if (!pages.has(file)) pages.set(file, parsePage(readFileSync(join(dist, file), 'utf8')));
    return pages.get(file);
  };
  const repoAnchors = new Map();
  const broken = [];

  const checkRepositoryLink = (page, href) => {
    const url = new URL(href);
    const path = decodeURIComponent(url.pathname.slice(new URL(repository).pathname.length));
    const file = /^\/(?:blob|tree)\/main\/(.*)$/.exec(path)?.[1];
    if (file === undefined) return;
    if (!existsSync(join(REPO, file))) {
      broken.push({ page, href, problem: `there is no ${file} in the repository` });
      return;
    }
    const anchor = decodeURIComponent(url.hash.slice(1));
    if (!anchor || !file.endsWith('.md')) return;
    if (!repoAnchors.has(file)) {
      repoAnchors.set(file, githubAnchors(readFileSync(join(REPO, file), 'utf8')));
    }
    if (!repoAnchors.get(file).has(anchor)) {
      broken.push({ page, href, problem: `${file} has no heading whose anchor is #${anchor}` });
    }
  };

  for (const page of [...files].filter((file) => file.endsWith('.html'))) {
    for (const href of pageOf(page).hrefs) {
      if (href.startsWith(`${repository}/`)) {
        checkRepositoryLink(page, href);
        continue;
      }
      if (/^[a-z][a-z+.-]*:/i.test(href) || href.startsWith('//')) continue;
      const url = new URL(href, `${ORIGIN}${base}${page}`);
      if (!url.pathname.startsWith(base)) {
        broken.push({ page, href, problem: `it leaves the site's base path ${base}` });
        continue;
      }
      let target = decodeURIComponent(url.pathname.slice(base.length));
      if (target === '' || target.endsWith('/')) target += 'index.html';
      if (!files.has(target) && files.has(`${target}.html`)) target += '.html';
      if (!files.has(target)) {
        broken.push({ page, href, problem: `there is no ${target} in the site` });
        continue;
      }
      const anchor = decodeURIComponent(url.hash.slice(1));
      if (anchor && target.endsWith('.html') && !pageOf(target).ids.has(anchor)) {
        broken.push({ page, href, problem: `${target} has no element with id "${anchor}"` });
      }
    }
  }
  return broken;
}

const MARKDOWN_LINK = /\]\(\s*<?([^)\s>]+)>?[^)]*\)/g;

/**
 * The broken relative links of the Markdown file `file` as GitHub shows it (`root` its
 * repository), each `{ page, href, problem }`: a link to a file that does not exist, or to an
 * anchor that no heading of the target (or of `file` itself, for `#anchor`) makes. Links with a
 * scheme are not followed; code blocks and inline code are not read.
 */
export function brokenMarkdownLinks(file, root = REPO) {
  const page = relative(root, file).split(sep).join('/');
  const anchorsOf = new Map();
  const anchors = (target) => {
    if (!anchorsOf.has(target)) anchorsOf.set(target, githubAnchors(readFileSync(target, 'utf8')));
    return anchorsOf.get(target);
  };
  const broken = [];
  let inFence = false;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    if (inFence) continue;
    for (const [, href] of line.replace(/`[^`]*`/g, '').matchAll(MARKDOWN_LINK)) {
      if (/^[a-z][a-z+.-]*:/i.test(href) || href.startsWith('//')) continue;
      const [path, anchor] = href.split('#');
      const target = path ? resolve(dirname(file), decodeURIComponent(path)) : file;
      const shown = relative(root, target).split(sep).join('/');
      if (!existsSync(target)) {
        broken.push({ page, href, problem: `there is no ${shown} in the repository` });
      } else if (
        anchor &&
        target.endsWith('.md') &&
        !anchors(target).has(decodeURIComponent(anchor))
      ) {
        broken.push({ page, href, problem: `${shown} has no heading whose anchor is #${anchor}` });
      }
    }
  }
  return broken;
}

function main(args) {
  const dist = resolve(args[0] ?? join(REPO, 'docs/.vitepress/dist'));
  if (!existsSync(dist)) {
    console.error(`${relative(process.cwd(), dist)}: no site built there: run npm run docs`);
    return 1;
  }
  const broken = [...brokenLinks(dist), ...brokenMarkdownLinks(join(REPO, 'README.md'))];
  for (const { page, href, problem } of broken) {
    console.error(`${page}: broken link ${href}: ${problem}`);
  }
  if (broken.length > 0) {
    console.error(`${broken.length} broken link(s) in the documentation site and README.md`);
    return 1;
  }
  console.log('documentation site and README.md: every internal link and anchor resolves');
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
