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

const guideSidebar = [
  {
    text: 'Introduction',
    items: [{ text: 'Getting started', link: '/getting-started' }],
  },
  {
    text: 'Guides',
    items: [
      { text: 'Scheduled tasks', link: '/scheduling' },
      { text: 'Durable steps', link: '/durable-steps' },
      { text: 'Transactions', link: '/transactions' },
    ],
  },
  {
    text: 'Backends',
    items: [{ text: 'PostgreSQL and PGlite', link: '/postgres' }],
  },
  {
    text: 'Recipes: a database session per job',
    items: [
      { text: 'TypeORM', link: '/recipes/typeorm-session' },
      { text: 'Prisma', link: '/recipes/prisma-session' },
      { text: 'Drizzle', link: '/recipes/drizzle-session' },
    ],
  },
  {
    text: 'Reliability and benchmarks',
    items: [
      { text: 'Reliability', link: '/reliability' },
      { text: 'Benchmarks', link: '/benchmarks' },
    ],
  },
  {
    text: 'API reference',
    items: [{ text: 'Entry points', link: '/api/' }],
  },
  {
    text: 'Reference',
    items: [{ text: 'Errors', link: '/errors' }],
  },
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
