// scripts/check-docs-links.js on a small built site of its own: what `npm run docs` (and so
// `npm run check`) fails on, and what it lets through. Needs no service.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { brokenLinks, brokenMarkdownLinks, githubAnchors } from '../scripts/check-docs-links.js';

const REPOSITORY = 'https://github.com/nestjs-task-queue/nestjs-task-queue';
const SITE = { base: '/docs/', repository: REPOSITORY };

describe('the documentation site link check', () => {
  let dist: string;

  /** Writes a page of the fake site: `ids` as headings, `links` as anchors. */
  const page = (path: string, ids: string[], links: string[]) => {
    const file = join(dist, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(
      file,
      [
        ...ids.map((id) => `<h2 id="${id}" tabindex="-1">${id}</h2>`),
        ...links.map((href) => `<a class="link" href="${href}">x</a>`),
      ].join('\n'),
    );
  };

  beforeEach(() => {
    dist = mkdtempSync(join(tmpdir(), 'docs-links-'));
    writeFileSync(join(dist, 'logo.svg'), '<svg/>');
  });

  afterEach(() => rmSync(dist, { recursive: true, force: true }));

  it('passes links to pages, anchors, files, the repository and elsewhere that all resolve', () => {
    page('index.html', ['top'], ['/docs/', '/docs/guide/intro.html#setup', './logo.svg', '#top']);
    page(
      'guide/intro.html',
      ['setup'],
      [
        '../index.html#top',
        'intro#setup',
        `${REPOSITORY}/blob/main/libs/task-queue/CHANGELOG.md#changelog`,
        `${REPOSITORY}/tree/main/docs/recipes`,
        'https://docs.bullmq.io/#anything',
        'mailto:someone@example.com',
      ],
    );
    expect(brokenLinks(dist, SITE)).toEqual([]);
  });

  it('names each link to a missing page, anchor or file, and each one outside the base path', () => {
    page(
      'index.html',
      ['top'],
      [
        '/docs/guide/missing.html',
        '/docs/guide/intro.html#nowhere',
        '/elsewhere/page.html',
        `${REPOSITORY}/blob/main/docs/nope.md`,
        `${REPOSITORY}/blob/main/libs/task-queue/CHANGELOG.md#no-such-heading`,
      ],
    );
    page('guide/intro.html', ['setup'], []);
    expect(brokenLinks(dist, SITE)).toEqual([
      expect.objectContaining({
        page: 'index.html',
        problem: 'there is no guide/missing.html in the site',
      }),
      expect.objectContaining({ problem: 'guide/intro.html has no element with id "nowhere"' }),
      expect.objectContaining({ problem: "it leaves the site's base path /docs/" }),
      expect.objectContaining({ problem: 'there is no docs/nope.md in the repository' }),
      expect.objectContaining({
        problem: 'libs/task-queue/CHANGELOG.md has no heading whose anchor is #no-such-heading',
      }),
    ]);
  });

  it("follows the README's relative links as GitHub does, naming each missing file or anchor", () => {
    mkdirSync(join(dist, 'docs'));
    writeFileSync(join(dist, 'docs/guide.md'), '# Guide\n\n## From @nestjs/bullmq\n');
    writeFileSync(
      join(dist, 'README.md'),
      [
        '# Project',
        '',
        'See [the guide](docs/guide.md), [its part](docs/guide.md#from-nestjsbullmq), [docs](docs/),',
        '[top](#project), [elsewhere](https://example.com/x.md#y) and `[code](nope.md)`.',
        '',
        '```md',
        '[in a block](nope.md)',
        '```',
        '',
        '[gone](docs/gone.md) [no part](docs/guide.md#from-nestjs-bullmq) [no top](#nowhere)',
      ].join('\n'),
    );
    expect(brokenMarkdownLinks(join(dist, 'README.md'), dist)).toEqual([
      {
        page: 'README.md',
        href: 'docs/gone.md',
        problem: 'there is no docs/gone.md in the repository',
      },
      {
        page: 'README.md',
        href: 'docs/guide.md#from-nestjs-bullmq',
        problem: 'docs/guide.md has no heading whose anchor is #from-nestjs-bullmq',
      },
      {
        page: 'README.md',
        href: '#nowhere',
        problem: 'README.md has no heading whose anchor is #nowhere',
      },
    ]);
  });

  it("makes a heading's anchor as GitHub does", () => {
    const anchors = githubAnchors(
      [
        '# Coming from @nestjs/bullmq',
        '## `ctx.step` and [links](https://x)',
        '```sh',
        '# not a heading',
        '```',
        '## Patterns',
        '## Patterns',
      ].join('\n'),
    );
    expect([...anchors]).toEqual([
      'coming-from-nestjsbullmq',
      'ctxstep-and-links',
      'patterns',
      'patterns-1',
    ]);
  });
});
