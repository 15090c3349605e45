// scripts/check-readme.js, for real: it type-checks a Markdown file's ts blocks with the
// TypeScript compiler and
// reports errors at their line in the Markdown file.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jest } from '@jest/globals';
import { extractBlocks } from '../scripts/check-readme.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const SCRIPT = join(REPO, 'scripts/check-readme.js');
const fence = '```';

// A block as a file of the app: its relative import reaches the example's users domain.
const GOOD = `# Readme

${fence}ts
// src/reports/reports.tasks.ts
import { Injectable } from '@nestjs/common';
import { Task, type TaskContext } from '@app/task-queue';
import { emailOf } from '../users/users.tasks.js';

@Injectable()
export class ReportsTasks {
  @Task('send_report')
  async sendReport(_ctx: TaskContext, payload: { userId: number }) {
    return { to: emailOf(payload.userId) };
  }
}
${fence}

${fence}sh
this is not TypeScript and is not checked
${fence}
`;

// Line 8 of the Markdown file: a timeout given as a string.
const BROKEN = `# Readme

${fence}ts
import { Injectable } from '@nestjs/common';
import { Task } from '@app/task-queue';
@Injectable()
export class Broken {
  @Task({ name: 'broken', timeout: '5' })
  async run() {}
}
${fence}
`;

const repo = 'https://github.com/nestjs-task-queue/nestjs-task-queue';
const site = (
  JSON.parse(readFileSync(join(REPO, 'libs/task-queue/package.json'), 'utf8')) as {
    homepage: string;
  }
).homepage;
const STANDALONE = `# Package

See the [guide](${repo}#readme), the [benchmarks](${repo}/blob/main/docs/benchmarks.md) and
[Install](#install).

${fence}ts
import { Task } from 'nestjs-task-queue';
export const decorator = Task;
${fence}
`;

// A Prisma schema, and a block that writes a Note's `field` through the client made from it.
const prismaMarkdown = (field: string) => `# Prisma

${fence}prisma
// prisma/schema.prisma
generator client {
  provider            = "prisma-client"
  output              = "../src/generated/prisma"
  moduleFormat        = "esm"
  importFileExtension = "js"
}

datasource db {
  provider = "postgresql"
}

model Note {
  id   Int    @id @default(autoincrement())
  text String
}
${fence}

${fence}ts
// src/notes/notes.ts
import type { Prisma } from '../generated/prisma/client.js';

export const add = (tx: Prisma.TransactionClient) => tx.note.create({ data: { ${field}: 'hi' } });
${fence}
`;

// Each run type-checks its blocks against the library in a process of its own.
jest.setTimeout(240_000);

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

let dir: string;

/** Writes `markdown` to `name` in `dir` and runs the script on it, with `flags` before it. */
async function check(name: string, markdown: string, flags: string[] = []): Promise<Run> {
  const file = join(dir, name);
  await writeFile(file, markdown);
  const child = spawn(process.execPath, [SCRIPT, ...flags, file], { cwd: dir });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const [status] = (await once(child, 'close')) as [number | null];
  return { status, stdout, stderr };
}

const packageCheck = (name: string, markdown: string) => check(name, markdown, ['--package']);

/** The script's runs that the tests look at, by the file each one checks. */
let runs: Record<string, Promise<Run>>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'check-readme-'));
  // The runs do not depend on each other: they run at once.
  runs = {
    GOOD: check('GOOD.md', GOOD),
    BROKEN: check('BROKEN.md', BROKEN),
    MISSING: check(
      'MISSING.md',
      GOOD.replace('../users/users.tasks.js', '../users/no-such-file.js'),
    ),
    STANDALONE: packageCheck('STANDALONE.md', STANDALONE),
    RELATIVE: packageCheck(
      'RELATIVE.md',
      STANDALONE.replace(`${repo}/blob/main/docs/benchmarks.md`, '../../docs/benchmarks.md'),
    ),
    ALIAS: packageCheck(
      'ALIAS.md',
      STANDALONE.replace("from 'nestjs-task-queue'", "from '@app/task-queue'"),
    ),
    ELSEWHERE: packageCheck(
      'ELSEWHERE.md',
      STANDALONE.replace(`${repo}/blob/main/docs/benchmarks.md`, `${repo}/blob/main/docs/nope.md`) +
        '\n[old](https://github.com/someone/else/blob/main/README.md)\n',
    ),
    SITE: packageCheck(
      'SITE.md',
      STANDALONE +
        `\n[errors](${site}errors.html#taskfailederror), [reference](${site}api/), ` +
        `[TaskQueue](${site}api/nestjs-task-queue/classes/TaskQueue.html)\n` +
        `[gone](${site}no-such-page.html), [internal](${site}api/nestjs-task-queue/type-aliases/PayloadArgs.html), ` +
        `[markdown](${site}errors.md)\n`,
    ),
    PRISMA: packageCheck('PRISMA.md', prismaMarkdown('text')),
    'PRISMA-BAD': packageCheck('PRISMA-BAD.md', prismaMarkdown('body')),
  };
});

afterAll(async () => {
  await Promise.all(Object.values(runs ?? {}));
  await rm(dir, { recursive: true, force: true });
});

describe('check-readme.js', () => {
  it('passes a file whose ts blocks type-check against the library and the example', async () => {
    const { status, stdout } = await runs.GOOD;
    expect(stdout).toBe('GOOD.md: all 1 ts blocks type-check\n');
    expect(status).toBe(0);
  });

  it('fails on a broken block, naming the Markdown line, and leaves nothing in the repo', async () => {
    const { status, stderr } = await runs.BROKEN;
    expect(status).toBe(1);
    expect(stderr).toMatch(
      /^BROKEN\.md:8:\d+ \(block 1, readme-block-1\.ts\): error TS2322: Type 'string' is not assignable to type 'number'\./m,
    );
    expect(stderr).toContain('BROKEN.md: ts blocks do not type-check');
    // Once no other run is using it.
    await Promise.all(Object.values(runs));
    expect(existsSync(join(REPO, '.readme-check'))).toBe(false);
  });

  it('fails on an import the repo cannot resolve', async () => {
    const { status, stderr } = await runs.MISSING;
    expect(status).toBe(1);
    expect(stderr).toMatch(
      /^MISSING\.md:7:\d+ \(block 1, src\/reports\/reports\.tasks\.ts\): error TS2307/m,
    );
  });

  it("keeps the testing guide's end-to-end example the same as test/users.e2e-spec.ts, which runs", async () => {
    const blocks = extractBlocks(await readFile(join(REPO, 'docs/testing.md'), 'utf8'));
    const example = blocks.find((block) => block.path === 'test/users.e2e-spec.ts');
    const spec = await readFile(join(REPO, 'test/users.e2e-spec.ts'), 'utf8');
    // The spec's first line says why it exists; the block's names its path.
    expect(example?.code.split('\n').slice(1)).toEqual(spec.split('\n').slice(1));
  });
});

describe('check-readme.js --package', () => {
  it('passes documentation that works away from the repository', async () => {
    const { status, stdout } = await runs.STANDALONE;
    expect(stdout).toBe('STANDALONE.md: all 1 ts blocks type-check\n');
    expect(status).toBe(0);
  });

  it('fails on a relative link, naming the line and the absolute form', async () => {
    const { status, stderr } = await runs.RELATIVE;
    expect(status).toBe(1);
    expect(stderr).toContain(
      `RELATIVE.md:3: links to '../../docs/benchmarks.md' by a relative path, which the npm page and the tarball cannot follow: use ${repo}/blob/main/<path from the repo root>`,
    );
  });

  it("fails on the repo's @app/task-queue alias, in code as in prose", async () => {
    const { status, stderr } = await runs.ALIAS;
    expect(status).toBe(1);
    expect(stderr).toContain("ALIAS.md:7: names '@app/task-queue', the repo's own alias");
  });

  it('fails on a link into the repository that is not under its URL, or names no file', async () => {
    const { status, stderr } = await runs.ELSEWHERE;
    expect(status).toBe(1);
    expect(stderr).toContain('there is no docs/nope.md in the repository');
    expect(stderr).toContain(
      `a link into the repository starts with ${repo}/blob/main/ (repository.url of libs/task-queue/package.json)`,
    );
  });

  it("fails on a link under the package's homepage that names no page of the site", async () => {
    const { status, stderr } = await runs.SITE;
    expect(status).toBe(1);
    const problems = stderr.split('\n').filter((line) => line.startsWith('SITE.md:'));
    expect(problems).toEqual([
      `SITE.md:12: links to '${site}no-such-page.html': there is no docs/no-such-page.md, which the site would serve as that page`,
      `SITE.md:12: links to '${site}api/nestjs-task-queue/type-aliases/PayloadArgs.html': the API reference has no page for PayloadArgs: no entry point of the package exports it`,
      `SITE.md:12: links to '${site}errors.md': the site's pages end in .html: docs/<name>.md is served as ${site}<name>.html`,
      'SITE.md: does not stand alone as package documentation',
    ]);
  });

  it('type-checks ts blocks against the Prisma client generated from the prisma block', async () => {
    const good = await runs.PRISMA;
    expect(good.stdout).toBe('PRISMA.md: all 1 ts blocks type-check\n');
    expect(good.status).toBe(0);
    const bad = await runs['PRISMA-BAD'];
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^PRISMA-BAD\.md:26:\d+ .*'body' does not exist in type/m);
  });
});
