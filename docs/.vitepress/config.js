// The documentation site (VitePress): `npm run docs` builds it into docs/.vitepress/dist after
// TypeDoc has written the API reference into docs/api/ (both generated, both git-ignored).
// The site's public address is libs/task-queue/package.json's `homepage`, defined there once:
// its path is the site's base, so the same build serves from a local server under that path.
// Why VitePress: the pages are the Markdown of docs/ as they are (GitHub shows the same files),
// its local search builds a static index with the site (works offline, no service), its output
// is static HTML, and TypeDoc's Markdown output plugs into it with a ready sidebar.
import { existsSync, readFileSync } from 'node:fs';
import { defineConfig } from 'vitepress';

const manifest = JSON.parse(
  readFileSync(new URL('../../libs/task-queue/package.json', import.meta.url), 'utf8'),
);
const homepage = new URL(manifest.homepage);
const repository = manifest.repository.url.replace(/^git\+/, '').replace(/\.git$/, '');

const API_SIDEBAR = new URL('../api/typedoc-sidebar.json', import.meta.url);
if (!existsSync(API_SIDEBAR)) {
  throw new Error(
    'docs/api/ has not been generated: run `npm run docs` (or `npm run docs:api`) first, ' +
      'which writes the API reference with TypeDoc before VitePress reads it.',
  );
}

/**
 * TypeDoc's sidebar nests the `/testing` and `/dashboard` entry points inside the main one:
 * here each entry point is a group of its own, named by its import path.
 */
function apiSidebar() {
  const [main] = JSON.parse(readFileSync(API_SIDEBAR, 'utf8'));
  const subpaths = main.items.filter((item) => item.link);
  const groups = [
    { ...main, items: main.items.filter((item) => !item.link) },
    ...subpaths.map((item) => ({ ...item, text: `${main.text}/${item.text}` })),
  ];
  return [{ text: 'Overview', link: '/api/' }, ...groups];
}

/** A sidebar group: its title, then `[text, link]` for each page, in reading order. */
const group = (text, pages) => ({
  text,
  items: pages.map(([item, link]) => ({ text: item, link })),
});

const guideSidebar = [
  group('Introduction', [['Getting started', '/getting-started']]),
  group('Guides', [
    ['Tasks and the context', '/tasks'],
    ['Enqueueing', '/enqueueing'],
    ['Scheduled tasks', '/scheduling'],
    ['Per-job DI and database sessions', '/per-job-di'],
    ['Testing tasks', '/testing'],
    ['Flow control', '/flow-control'],
    ['Durable steps', '/durable-steps'],
    ['Transactions', '/transactions'],
  ]),
  group('Backends', [
    ['Redis, PostgreSQL, PGlite', '/backends'],
    ['PostgreSQL and PGlite in depth', '/postgres'],
  ]),
  group('Operations', [
    ['Running in production', '/production'],
    ['Observability', '/observability'],
    ['Errors', '/errors'],
  ]),
  group('Recipes: a database session per job', [
    ['TypeORM', '/recipes/typeorm-session'],
    ['Prisma', '/recipes/prisma-session'],
    ['Drizzle', '/recipes/drizzle-session'],
  ]),
  group('Migrating', [
    ['From SAQ', '/migrating#from-saq'],
    ['From @nestjs/bullmq', '/migrating#from-nestjs-bullmq'],
    ['From @nestjs/schedule', '/migrating#from-nestjs-schedule'],
  ]),
  group('Reliability and benchmarks', [
    ['Reliability', '/reliability'],
    ['Benchmarks', '/benchmarks'],
  ]),
  group('This repository', [['The example app and the tests', '/development']]),
  group('API reference', [['Entry points', '/api/']]),
];

export default defineConfig({
  title: 'nestjs-task-queue',
  description: manifest.description,
  base: homepage.pathname,
  lang: 'en-US',
  // Served from docs/public/; without it browsers ask the host's root for /favicon.ico.
  head: [['link', { rel: 'icon', type: 'image/svg+xml', href: `${homepage.pathname}favicon.svg` }]],
  cleanUrls: false,
  lastUpdated: false,
  // Not published with the site: typedoc.json and the screenshots' own folder are not pages.
  srcExclude: ['screenshots/**'],
  sitemap: { hostname: homepage.href },
  // The largest chunk is the offline search index, loaded only when the search opens.
  vite: { build: { chunkSizeWarningLimit: 4096 } },
  themeConfig: {
    nav: [
      { text: 'Guide', link: '/getting-started' },
      { text: 'API reference', link: '/api/' },
      { text: 'Changelog', link: `${repository}/blob/main/libs/task-queue/CHANGELOG.md` },
    ],
    sidebar: {
      '/api/': apiSidebar(),
      '/': guideSidebar,
    },
    // A static index built with the site (minisearch): search works offline.
    search: { provider: 'local' },
    socialLinks: [{ icon: 'github', link: repository }],
    outline: { level: [2, 3] },
  },
});
