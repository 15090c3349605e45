// The documentation site as a reader uses it: the built site (npm run docs) served under its base
// path, in a real headless Chromium: the getting-started page, a page it leads to, the offline
// search, an API reference page, and no console error anywhere. With TQ_DOCS_SCREENSHOTS=write it
// also writes the two screenshots committed under docs/screenshots/ (the home page, an API page).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../scripts/chromium.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(REPO, 'docs/.vitepress/dist');
const SCREENSHOTS = join(REPO, 'docs/screenshots');
const BASE = new URL(
  (
    JSON.parse(readFileSync(join(REPO, 'libs/task-queue/package.json'), 'utf8')) as {
      homepage: string;
    }
  ).homepage,
).pathname;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.xml': 'application/xml',
};

/** The newest modification time of the files under `dir` whose names match `pattern`. */
function newest(dir: string, pattern: RegExp, skip: RegExp): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { recursive: true }).map(String)) {
    if (skip.test(entry) || !pattern.test(entry)) continue;
    latest = Math.max(latest, statSync(join(dir, entry)).mtimeMs);
  }
  return latest;
}

/** Whether the built site is missing or older than the pages, its config or the library's JSDoc. */
function siteIsStale(): boolean {
  const built = join(DIST, 'index.html');
  if (!existsSync(built)) return true;
  const sources = Math.max(
    newest(join(REPO, 'docs'), /\.(md|js|json)$/, /^(api|\.vitepress[/\\](dist|cache))([/\\]|$)/),
    newest(join(REPO, 'libs/task-queue/src'), /\.ts$/, /\.spec\.ts$/),
  );
  return statSync(built).mtimeMs < sources;
}

/** Builds the site as `npm run docs` does. */
function buildSite(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['scripts/build-docs.js'], {
      cwd: REPO,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`npm run docs failed (exit ${code})`)),
    );
  });
}

/** A static server of the built site under its base path, as a static host serves it. */
function serveSite(): Promise<Server> {
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://site').pathname);
    let file = path.startsWith(BASE) ? normalize(path.slice(BASE.length)) : undefined;
    if (file !== undefined && (file === '.' || file.endsWith('/'))) file = join(file, 'index.html');
    const full = file === undefined || file.startsWith('..') ? undefined : join(DIST, file);
    if (!full || !existsSync(full) || !statSync(full).isFile()) {
      response
        .writeHead(404, { 'content-type': 'text/html' })
        .end(readFileSync(join(DIST, '404.html')));
      return;
    }
    response
      .writeHead(200, { 'content-type': TYPES[extname(full)] ?? 'application/octet-stream' })
      .end(readFileSync(full));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('documentation site, built and served, in headless Chromium', () => {
  let browser: Browser;
  let server: Server;
  let site: string;
  const consoleErrors: string[] = [];

  /** A new page that records its console errors and uncaught exceptions. */
  async function open(path: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(15_000);
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(`${page.url()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => consoleErrors.push(`${page.url()}: ${error.message}`));
    page.on('response', (response) => {
      if (response.status() >= 400) {
        consoleErrors.push(`${page.url()}: ${response.url()} answered ${response.status()}`);
      }
    });
    await page.goto(`${site}${path}`);
    return page;
  }

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `No Chromium at ${CHROMIUM}: the documentation site's browser test needs Debian's ` +
          `chromium (apt-get install -y chromium; .ci/run installs it when missing).`,
      );
    }
    if (siteIsStale()) await buildSite();
    server = await serveSite();
    site = `http://127.0.0.1:${(server.address() as AddressInfo).port}${BASE}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('leads from the home page through getting started to the page it points to next', async () => {
    const page = await open('');
    await page.getByRole('heading', { name: 'Background tasks for NestJS' }).waitFor();
    if (process.env.TQ_DOCS_SCREENSHOTS === 'write') {
      mkdirSync(SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: join(SCREENSHOTS, 'home.png') });
    }

    await page.locator('.VPHero').getByRole('link', { name: 'Getting started' }).click();
    await page.getByRole('heading', { level: 1, name: 'Getting started' }).waitFor();
    await page.getByRole('heading', { name: 'Your first test' }).waitFor();
    await page.locator('.vp-doc').getByText('TaskQueueTestingModule.forRoot()').first().waitFor();

    await page.locator('.vp-doc').getByRole('link', { name: 'Scheduled tasks' }).click();
    await page.getByRole('heading', { level: 1, name: 'Scheduled tasks' }).waitFor();
    expect(page.url()).toBe(`${site}scheduling.html`);
    await page.close();
  });

  it('finds ctx.rateLimit with the offline search, and opens the page it names', async () => {
    const page = await open('getting-started.html');
    await page.getByRole('button', { name: 'Search' }).click();
    const input = page.locator('#localsearch-input');
    await input.fill('ctx.rateLimit');
    const results = page.locator('#localsearch-list li');
    await results.first().waitFor();
    expect(await results.count()).toBeGreaterThan(0);
    expect(await page.locator('#localsearch-list').innerText()).toMatch(/rateLimit/);

    await input.press('Enter');
    await page.waitForURL((url) => !url.pathname.endsWith('/getting-started.html'));
    await page
      .locator('.vp-doc')
      .getByText(/rateLimit/)
      .first()
      .waitFor();
    await page.close();
  });

  it('shows the API reference of an entry point, with its description', async () => {
    const page = await open('api/nestjs-task-queue/classes/TaskQueues.html');
    await page.getByRole('heading', { level: 1, name: /TaskQueues/ }).waitFor();
    await page.locator('.VPSidebar').getByText('nestjs-task-queue/testing').waitFor();
    if (process.env.TQ_DOCS_SCREENSHOTS === 'write') {
      mkdirSync(SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: join(SCREENSHOTS, 'api-reference.png') });
    }
    await page.close();
  });

  it('logged no console error on any of those pages', () => {
    expect(consoleErrors).toEqual([]);
  });
});
