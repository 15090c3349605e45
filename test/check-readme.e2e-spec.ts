// scripts/check-readme.js, for real: it type-checks a Markdown file's ts blocks with tsc and
// reports errors at their line in the Markdown file.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'check-readme-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function check(name: string, markdown: string) {
  const file = join(dir, name);
  await writeFile(file, markdown);
  const run = spawnSync(process.execPath, [SCRIPT, file], { cwd: dir, encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('check-readme.js', () => {
  it('passes a file whose ts blocks type-check against the library and the example', async () => {
    const { status, stdout } = await check('GOOD.md', GOOD);
    expect(stdout).toBe('GOOD.md: all 1 ts blocks type-check\n');
    expect(status).toBe(0);
  });

  it('fails on a broken block, naming the Markdown line, and leaves nothing in the repo', async () => {
    const { status, stderr } = await check('BROKEN.md', BROKEN);
    expect(status).toBe(1);
    expect(stderr).toMatch(
      /^BROKEN\.md:8:\d+ \(block 1, readme-block-1\.ts\): error TS2322: Type 'string' is not assignable to type 'number'\./m,
    );
    expect(stderr).toContain('BROKEN.md: ts blocks do not type-check');
    expect(existsSync(join(REPO, '.readme-check'))).toBe(false);
  });

  it('fails on an import the repo cannot resolve', async () => {
    const { status, stderr } = await check(
      'MISSING.md',
      GOOD.replace('../users/users.tasks.js', '../users/no-such-file.js'),
    );
    expect(status).toBe(1);
    expect(stderr).toMatch(
      /^MISSING\.md:7:\d+ \(block 1, src\/reports\/reports\.tasks\.ts\): error TS2307/m,
    );
  });

  it("keeps the README's end-to-end example the same as test/users.e2e-spec.ts, which runs", async () => {
    const blocks = extractBlocks(await readFile(join(REPO, 'README.md'), 'utf8'));
    const example = blocks.find((block) => block.path === 'test/users.e2e-spec.ts');
    const spec = await readFile(join(REPO, 'test/users.e2e-spec.ts'), 'utf8');
    // The spec's first line says why it exists; the block's names its path.
    expect(example?.code.split('\n').slice(1)).toEqual(spec.split('\n').slice(1));
  });
});
