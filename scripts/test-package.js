#!/usr/bin/env node
// Usage: npm run test:package
// Tests the package the way its users get it: builds and packs libs/task-queue, checks what the
// tarball holds and that `npm publish --dry-run` passes, then, in a temporary folder outside the
// repo, creates two applications from scratch with the tarball installed from the file: NestJS 12
// as ESM and NestJS 11 as CommonJS (which loads the ESM package with require()), each compiled by
// tsc with skipLibCheck off and none of the optional peers it does not use but @nestjs/bullmq and
// @nestjs/schedule, at the versions that go with its NestJS. Each runs as its own node process
// against a Redis (REDIS_URL, 127.0.0.1:6379, or a private redis-server): a task with a per-job
// parameter runs through apply(), a per-second schedule fires, a bad payload gets its error, a
// durable task (ctx.step, ctx.sleep, ctx.waitForEvent) completes once TaskQueues.sendEvent wakes
// it, its step run once, and SIGTERM ends the process by itself; then, with `schedule: 'distributed'`, @Cron and @Interval
// methods run as tasks, BullModule.forRoot()'s connection and prefix serve the module, and
// @InjectQueue gives the queue the tasks run on (and, under the testing kit, a stand-in that
// refuses to be used); a worker.ts made with runWorker and the package's CLI through the
// installed bin (tasks, enqueue --wait, a bad --payload, worker) run a module that says
// `worker: false`, and both workers end by themselves on SIGTERM; with an outbox in PostgreSQL
// (TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test), jobs enqueued in
// node-postgres transactions, as they are and through typeormTransaction, run once committed and
// never after a rollback. Neither app has nestjs-cls installed (an optional peer). The two applications and
// the publish check run at the same time, each application on Redis prefixes of its own. Installs
// go through the npm cache.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { ensureRedis } from './redis-launcher.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const LIB = join(REPO, 'libs/task-queue');
const APP_SOURCES = join(REPO, 'test/package/app');
const repoVersion = (name) =>
  JSON.parse(readFileSync(join(REPO, 'node_modules', name, 'package.json'), 'utf8')).version;

/** The two consumer applications. */
const APPS = [
  {
    name: 'nest12-esm',
    type: 'module',
    nest: `^${repoVersion('@nestjs/core')}`,
    nestTesting: `^${repoVersion('@nestjs/testing')}`,
    typescript: `~${repoVersion('typescript').split('.').slice(0, 2).join('.')}`,
    nestBullmq: `^${repoVersion('@nestjs/bullmq')}`,
    nestSchedule: `^${repoVersion('@nestjs/schedule')}`,
  },
  {
    name: 'nest11-cjs',
    type: 'commonjs',
    nest: '^11.1.0',
    nestTesting: '^11.1.0',
    typescript: '~5.9.0',
    // What NestJS 11 applications have: @nestjs/bullmq 11 (11.0.5 is the first to accept
    // BullMQ 6) and @nestjs/schedule 6.
    nestBullmq: '^11.0.5',
    nestSchedule: '^6.0.0',
  },
];

const started = Date.now();
const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)} s`;
const step = (message) => console.log(`[${seconds(started)}] ${message}`);

/**
 * Runs a command to its end and resolves its output. Its stderr goes to ours unless `stdio` says
 * otherwise; a failure or `timeout` (ms, then SIGTERM) rejects, with what it wrote to pipes.
 */
function run(command, args, cwd, { stdio = ['ignore', 'pipe', 'inherit'], env, timeout } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
    let timedOut = false;
    const timer =
      timeout &&
      setTimeout(() => {
        timedOut = true;
        child.kill('SIGTERM');
      }, timeout);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve(stdout);
      const how = timedOut ? `timed out after ${timeout} ms` : `ended with ${signal ?? code}`;
      reject(new Error(`${command} ${args.join(' ')} (in ${cwd}) ${how}\n${stderr}${stdout}`));
    });
  });
}

/** What `npm pack` puts in the tarball must be the built package only. */
function checkContents(files) {
  const paths = files.map((file) => file.path);
  for (const path of ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE']) {
    assert.ok(paths.includes(path), `the tarball lacks ${path}`);
  }
  for (const entry of ['index', 'testing/index', 'dashboard/index']) {
    assert.ok(paths.includes(`dist/${entry}.js`), `the tarball lacks dist/${entry}.js`);
    assert.ok(paths.includes(`dist/${entry}.d.ts`), `the tarball lacks dist/${entry}.d.ts`);
  }
  const stray = paths.filter(
    (path) =>
      !['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE'].includes(path) &&
      !/^dist\/.+\.(js|d\.ts|js\.map)$/.test(path),
  );
  assert.deepEqual(stray, [], 'files in the tarball that are not the built package');
  const tests = paths.filter((path) => /\.(spec|e2e-spec)\.|(^|\/)test\//.test(path));
  assert.deepEqual(tests, [], 'tests in the tarball');
  for (const map of paths.filter((path) => path.endsWith('.map'))) {
    const { sources, sourcesContent } = JSON.parse(readFileSync(join(LIB, map), 'utf8'));
    for (const source of sources) {
      const target = resolve(LIB, dirname(map), source);
      assert.ok(
        !relative(LIB, target).startsWith('..'),
        `${map} points outside the package: ${source}`,
      );
    }
    assert.equal(sourcesContent?.length, sources.length, `${map} does not inline its sources`);
  }
  return paths.length;
}

function createApp(root, app, tarball) {
  const dir = join(root, app.name);
  cpSync(APP_SOURCES, join(dir, 'src'), { recursive: true });
  const pkg = {
    name: app.name,
    private: true,
    type: app.type,
    dependencies: {
      '@bull-board/api': repoVersion('@bull-board/api'),
      '@bull-board/express': repoVersion('@bull-board/express'),
      '@nestjs/common': app.nest,
      '@nestjs/core': app.nest,
      '@nestjs/testing': app.nestTesting,
      '@nestjs/bullmq': app.nestBullmq,
      '@nestjs/schedule': app.nestSchedule,
      bullmq: repoVersion('bullmq'),
      // The outbox's optional peer, for a URL.
      pg: repoVersion('pg'),
      ioredis: repoVersion('ioredis'),
      'nestjs-task-queue': `file:${tarball}`,
      'reflect-metadata': repoVersion('reflect-metadata'),
      rxjs: repoVersion('rxjs'),
    },
    devDependencies: {
      '@types/node': repoVersion('@types/node'),
      '@types/pg': repoVersion('@types/pg'),
      typescript: app.typescript,
    },
  };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
  const tsconfig = {
    compilerOptions: {
      target: 'ES2022',
      module: 'nodenext',
      moduleResolution: 'nodenext',
      types: ['node'],
      strict: true,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      skipLibCheck: false,
      outDir: 'dist',
      rootDir: 'src',
    },
    include: ['src'],
  };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
  return dir;
}

/** Starts the built app; resolves its reports and exit code once SIGTERM has ended it. */
async function runApp(dir, env) {
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: dir,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const reports = [];
  let buffer = '';
  let wake = () => {};
  child.stdout.on('data', (chunk) => {
    buffer += chunk;
    const lines = buffer.split('\n');
    buffer = lines.pop();
    for (const line of lines) reports.push(JSON.parse(line));
    wake();
  });
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const until = async (test, what, timeoutMs) => {
    const deadline = Date.now() + timeoutMs;
    while (!test()) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(
          `${dir}: no ${what} within ${timeoutMs} ms; reports: ${JSON.stringify(reports)}`,
        );
      }
      await Promise.race([new Promise((resolve) => (wake = resolve)), exited, sleep(200)]);
    }
  };
  const count = (event) => reports.filter((report) => report.event === event).length;
  // How long the app takes to boot is not under test; on a busy machine it can be long.
  await until(() => count('ready') === 1, 'ready report', 60_000);
  await until(() => count('tick') >= 2, 'two ticks of the per-second schedule', 10_000);
  const stopping = Date.now();
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const exit = await exited;
  clearTimeout(timer);
  return { reports, exit, stopMs: Date.now() - stopping };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function checkRun({ reports, exit }) {
  const of = (event) => reports.filter((report) => report.event === event);
  const applied = of('applied');
  assert.deepEqual(
    applied.map(({ greeting }) => greeting),
    ['hello first', 'hello second'],
  );
  assert.notEqual(applied[0].serial, applied[1].serial, 'each job gets its own per-job provider');
  assert.notEqual(applied[0].jobId, applied[1].jobId);
  assert.deepEqual(
    of('committed').map(({ jobId }) => jobId),
    applied.map(({ jobId }) => jobId),
    'the per-job provider success hook ran for each job',
  );
  const [bad] = of('bad-payload');
  assert.equal(bad.name, 'InvalidPayloadError');
  assert.equal(bad.typed, true);
  assert.match(bad.message, /greet/);
  // A step, a sleep and a wait for an event that sendEvent delivered: the step ran once.
  assert.deepEqual(of('durable'), [
    {
      event: 'durable',
      woken: 1,
      status: 'complete',
      result: {
        welcome: 'welcome 7',
        confirmed: { userId: 7, via: 'sendEvent' },
        welcomes: 1,
      },
      steps: ['welcome', 'done'],
    },
  ]);
  // Nest closes the application, then raises the signal again to end the process with it.
  assert.deepEqual(of('shutdown'), [{ event: 'shutdown', signal: 'SIGTERM' }]);
  assert.deepEqual(
    exit,
    { code: null, signal: 'SIGTERM' },
    'the process ends by itself on SIGTERM',
  );
}

async function checkEntries(dir, app) {
  const nest = JSON.parse(readFileSync(join(dir, 'node_modules/@nestjs/core/package.json')));
  assert.equal(`^${nest.version.split('.')[0]}`, app.nest.split('.')[0], 'NestJS version');
  // Tracing's optional peer is left out: the apps below prove the package runs without it.
  assert.ok(
    !existsSync(join(dir, 'node_modules/@opentelemetry/api')),
    'the app has @opentelemetry/api',
  );
  // Nor nestjs-cls's: every run of the app below (a CLS context per run otherwise) is without it.
  assert.ok(!existsSync(join(dir, 'node_modules/nestjs-cls')), 'the app has nestjs-cls');
  const compiled = readFileSync(join(dir, 'dist/main.js'), 'utf8');
  const loader =
    app.type === 'commonjs' ? 'require("nestjs-task-queue")' : "from 'nestjs-task-queue'";
  assert.ok(compiled.includes(loader), `dist/main.js loads the package with ${loader}`);
  const mainOnly = JSON.parse(await run(process.execPath, ['dist/main-entry.js'], dir));
  assert.deepEqual(mainOnly, { module: 'function', dashboardPackages: [] });
  const entries = JSON.parse(await run(process.execPath, ['dist/entries.js'], dir));
  const main = ['TaskQueueModule', 'TaskQueues', 'Task', 'ScheduledTask', 'TASK_JOB'];
  // What a package user runs besides the module: the worker entry, the filter, the indicator.
  const running = ['runWorker', 'TaskQueueExceptionFilter', 'TaskQueueHealthIndicator'];
  // A job and the data it is about in one transaction: the ORMs' adapters.
  const transactions = ['drizzleTransaction', 'typeormTransaction', 'prismaTransaction'];
  for (const name of [...main, ...running, ...transactions, 'TaskInject']) {
    assert.ok(entries.main.includes(name), `the main entry lacks ${name}`);
  }
  assert.ok(!entries.main.includes('TaskQueueDashboardModule'), 'the main entry has the dashboard');
  assert.deepEqual(entries.dashboard, ['TaskQueueDashboardModule']);
  const testing = ['TaskQueueTestingModule', 'TaskQueueTester', 'createTaskContext'];
  for (const name of [...testing, 'overrideTaskQueueModule']) {
    assert.ok(entries.testing.includes(name), `the testing entry lacks ${name}`);
  }
  // Bull Board is loaded when the dashboard is mounted on a server (checkHttp), not on import.
  assert.equal(entries.dashboardPackages, 0, 'importing the dashboard entry loads Bull Board');
}

/** The app's module under overrideTaskQueueModule: apply and drain run in the process. */
async function checkTestingKit(dir) {
  const lines = (await run(process.execPath, ['dist/testing-kit.js'], dir)).trim().split('\n');
  const outcome = JSON.parse(lines.at(-1));
  assert.equal(outcome.applied.greeting, 'hello kit');
  assert.deepEqual(outcome.drained, ['complete']);
  assert.deepEqual(outcome.enqueued, [
    { name: 'greet', payload: { name: 'kit' } },
    { name: 'greet', payload: { name: 'later' } },
  ]);
}

/**
 * The app beside @nestjs/schedule and @nestjs/bullmq (test/package/app/ecosystem.ts): its
 * decorators run, its injected queue is the tasks' queue; the versions installed are reported.
 */
async function checkEcosystem(dir, env) {
  const output = await run(process.execPath, ['dist/ecosystem.js'], dir, {
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  const outcome = JSON.parse(output.trim().split('\n').at(-1));
  assert.deepEqual(outcome.echoed, { echoed: 'from @InjectQueue' });
  assert.ok(outcome.ticks.cron >= 2 && outcome.ticks.interval >= 2, JSON.stringify(outcome.ticks));
  assert.deepEqual(outcome.schedules.map(({ name }) => name).sort(), [
    'EcosystemTasks.interval',
    'nest_cron',
  ]);
  assert.equal(outcome.schedules.find(({ name }) => name === 'nest_cron').cron, '* * * * * *');
  assert.equal(outcome.schedules.find(({ name }) => name !== 'nest_cron').every, 1);
  assert.equal(outcome.injected.name, 'default');
  assert.equal(outcome.injected.prefix, env.TASK_QUEUE_PREFIX, "BullModule.forRoot()'s prefix");
  assert.ok(outcome.injected.completed >= 1, 'the injected queue counts the completed job');
  assert.deepEqual(outcome.refused, { name: 'TaskQueueConfigError', typed: true });
  const version = (name) =>
    JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8')).version;
  return `@nestjs/bullmq ${version('@nestjs/bullmq')}, @nestjs/schedule ${version('@nestjs/schedule')}`;
}

const TEST_DATABASE_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * The app on Redis with `outbox` (test/package/app/outbox.ts): of the jobs enqueued in
 * transactions, the committed ones ran once, the rolled-back ones never exist.
 */
async function checkOutbox(dir, env) {
  const output = await run(process.execPath, ['dist/outbox.js'], dir, {
    env: { ...process.env, ...env, DATABASE_URL: TEST_DATABASE_URL },
    timeout: 60_000,
  }).finally(() => removeKeys(env.REDIS_URL, env.TASK_QUEUE_PREFIX));
  const outcome = JSON.parse(output.trim().split('\n').at(-1));
  assert.deepEqual(outcome, {
    ran: ['pg', 'typeorm'],
    rolledBack: [null, null],
    committed: ['complete', 'complete'],
  });
}

// ---- HTTP: TaskQueueExceptionFilter and TaskQueueHealthIndicator (test/package/app/http.ts) ----

/**
 * What each app adds for its HTTP applications: Nest's Express and Fastify platforms, and
 * @nestjs/terminus at the major that goes with its NestJS (an optional peer of the package).
 */
const HTTP_PACKAGES = {
  'nest12-esm': { terminus: `^${repoVersion('@nestjs/terminus')}` },
  'nest11-cjs': { terminus: '^11.0.0' },
};

function addHttpPackages(dir, app) {
  const file = join(dir, 'package.json');
  const pkg = JSON.parse(readFileSync(file, 'utf8'));
  pkg.dependencies['@nestjs/platform-express'] = app.nest;
  pkg.dependencies['@nestjs/platform-fastify'] = app.nest;
  pkg.dependencies['@nestjs/terminus'] = HTTP_PACKAGES[app.name].terminus;
  writeFileSync(file, JSON.stringify(pkg, null, 2));
}

/** The built package names @nestjs/terminus nowhere as a module: no import, require or type. */
function checkNoTerminusImport() {
  const dist = join(LIB, 'dist');
  const files = readdirSync(dist, { recursive: true }).filter((file) => /\.(js|d\.ts)$/.test(file));
  const importing = files.filter((file) =>
    /(from\s*|import\(\s*|require\(\s*)['"]@nestjs\/terminus/.test(
      readFileSync(join(dist, file), 'utf8'),
    ),
  );
  assert.deepEqual(importing, [], 'files of the package that load @nestjs/terminus');
}

/** A loopback port where nothing listens. */
async function closedPort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs dist/http.js and checks each answer; returns the terminus version installed. */
async function checkHttp(dir, env) {
  const unreachable = `redis://127.0.0.1:${await closedPort()}`;
  const output = await run(process.execPath, ['dist/http.js'], dir, {
    env: { ...process.env, ...env, UNREACHABLE_URL: unreachable },
    timeout: 60_000,
  });
  const { secret, answers, board } = JSON.parse(output.trim().split('\n').at(-1));
  // Bull Board, mounted by the package's dashboard module behind its basic auth, lists the queues.
  assert.equal(board.status, 200, `the dashboard's API: ${JSON.stringify(board)}`);
  assert.deepEqual(board.queues?.sort(), ['default', 'idle'], JSON.stringify(board));
  assert.ok(board.packagesLoaded > 0, 'the mounted dashboard loaded no Bull Board files');
  const expect = (name, status, error) => {
    const answer = answers[name];
    assert.equal(answer.status, status, `${name}: ${JSON.stringify(answer)}`);
    assert.deepEqual(Object.keys(answer.body).sort(), ['error', 'message', 'statusCode']);
    assert.equal(answer.body.statusCode, status);
    assert.equal(answer.body.error, error, `${name}: ${JSON.stringify(answer)}`);
    return answer;
  };
  assert.match(expect('badPayload', 400, 'InvalidPayloadError').body.message, /greet/);
  assert.match(expect('badOptions', 400, 'InvalidOptionsError').body.message, /delay/);
  assert.match(expect('unknownQueue', 404, 'UnknownQueueError').body.message, /'nowhere'/);
  // The application of these two answers runs on Fastify.
  assert.match(expect('fastifyUnknownQueue', 404, 'UnknownQueueError').body.message, /'nowhere'/);
  const down = expect('unreachable', 503, 'RedisUnavailableError');
  assert.equal(down.retryAfter, '7', 'Retry-After of the 503 (option retryAfter), on Fastify');
  assert.match(down.body.message, /Redis is not reachable/);
  assert.match(expect('waitTimeout', 504, 'TaskWaitTimeoutError').body.message, /0\.5 s/);
  const failed = expect('taskFailed', 500, 'TaskFailedError');
  assert.match(failed.body.message, /^The task of job \S+ on queue 'default' failed\./);
  assert.ok(!JSON.stringify(failed.body).includes(secret), "the 500 carries the task's error");
  assert.equal(answers.healthUp.status, 200, JSON.stringify(answers.healthUp));
  assert.deepEqual(answers.healthUp.body.info.taskQueue, {
    status: 'up',
    backend: { kind: 'redis', reachable: true },
    queues: { default: { workers: 1 }, idle: { workers: 0 } },
  });
  assert.equal(answers.healthDown.status, 503, JSON.stringify(answers.healthDown));
  assert.equal(answers.healthDown.body.error.taskQueue.status, 'down');
  assert.match(answers.healthDown.body.error.taskQueue.message, /^Redis is not reachable/);
  const terminus = join(dir, 'node_modules/@nestjs/terminus/package.json');
  return JSON.parse(readFileSync(terminus, 'utf8')).version;
}

// ---- end of HTTP ----

// ---- runWorker and the CLI (the package's bin) ----

/** Starts a process of the app; `waitFor(pattern)` resolves the output's match. */
function startProcess(command, args, dir, env) {
  const child = spawn(command, args, {
    cwd: dir,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const waitFor = async (pattern, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(output);
      if (match) return match;
      if (Date.now() > deadline || child.exitCode !== null) {
        child.kill('SIGKILL');
        throw new Error(`${dir}: no ${pattern} from ${args.join(' ')}:\n${output}`);
      }
      await sleep(100);
    }
  };
  const stop = async (signal) => {
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const exit = await exited;
    clearTimeout(timer);
    return exit;
  };
  return { child, output: () => output, waitFor, stop };
}

/** The installed bin, run to its end: its exit code and output. */
function runBin(dir, args, env) {
  const bin = join(dir, 'node_modules/.bin/nestjs-task-queue');
  return new Promise((resolve) => {
    const child = spawn(bin, args, { cwd: dir, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * worker.ts (runWorker) and the CLI's `worker` run the jobs of a module with `worker: false`,
 * enqueued by the CLI with --wait; both end by themselves on SIGTERM with exit 0.
 */
async function checkWorkerAndCli(dir, redisUrl, prefix) {
  const env = { REDIS_URL: redisUrl, TASK_QUEUE_PREFIX: prefix };
  const module = ['--module', 'dist/worker-app.module.js#WorkerAppModule'];
  try {
    const listed = await runBin(dir, [...module, 'tasks', '--json'], env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(
      JSON.parse(listed.stdout).map(({ name, queue }) => `${queue}/${name}`),
      ['default/shout'],
    );

    const bad = await runBin(dir, [...module, 'enqueue', 'shout', '--payload', '{x'], env);
    assert.equal(bad.code, 2, 'a bad --payload exits 2');
    assert.match(bad.stderr, /--payload is not valid JSON .*--payload '\{"userId":42\}'/);

    for (const [what, command, args] of [
      ['worker.ts', process.execPath, ['dist/worker.js']],
      ['the CLI worker', join(dir, 'node_modules/.bin/nestjs-task-queue'), [...module, 'worker']],
    ]) {
      const worker = startProcess(command, args, dir, env);
      const concurrency = what === 'worker.ts' ? 2 : 10;
      await worker.waitFor(
        new RegExp(
          `Worker ready: queues default \\(concurrency ${concurrency}\\) on Redis at ` +
            `127\\.0\\.0\\.1:\\d+, prefix '${prefix}'; no schedules`,
        ),
      );
      const text = `from ${what}`;
      const payload = JSON.stringify({ text });
      const waited = await runBin(
        dir,
        [...module, 'enqueue', 'shout', '--payload', payload, '--wait'],
        env,
      );
      assert.equal(waited.code, 0, waited.stderr);
      assert.deepEqual(JSON.parse(waited.stdout), {
        shouted: text.toUpperCase(),
        pid: worker.child.pid,
      });
      const exit = await worker.stop('SIGTERM');
      assert.deepEqual(exit, { code: 0, signal: null }, `${what} ends by itself on SIGTERM`);
      assert.match(worker.output(), /Workers stopped: every active job finished/);
    }
  } finally {
    await removeKeys(redisUrl, prefix);
  }
}

/** One consumer application, made from scratch, installed, compiled and run through its checks. */
async function testApp(app, root, tarball, redis) {
  const dir = createApp(root, app, tarball);
  addHttpPackages(dir, app);
  const installing = Date.now();
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], dir);
  step(`${app.name}: npm install took ${seconds(installing)}`);
  await run(process.execPath, [join(dir, 'node_modules/typescript/bin/tsc'), '-p', dir], dir, {
    stdio: 'inherit',
  });
  step(`${app.name}: tsc passed (skipLibCheck: false)`);
  await checkEntries(dir, app);
  await checkTestingKit(dir);
  step(
    `${app.name}: NestJS ${app.nest}; the entries load, the main one without express or Bull Board; the testing kit runs the app's task`,
  );
  const prefix = `pkg-${app.name}-${randomBytes(3).toString('hex')}`;
  try {
    const outcome = await runApp(dir, { REDIS_URL: redis.url, TASK_QUEUE_PREFIX: prefix });
    checkRun(outcome);
    step(
      `${app.name}: apply with a per-job parameter, schedule, bad payload error, durable ` +
        'steps (step, sleep, waitForEvent woken by sendEvent); ' +
        `closed and ended ${outcome.stopMs} ms after SIGTERM`,
    );
    const terminus = await checkHttp(dir, { REDIS_URL: redis.url, TASK_QUEUE_PREFIX: prefix });
    step(
      `${app.name}: HTTP with TaskQueueExceptionFilter answered 400 / 400 / 404 / 504 / 500 ` +
        `(without the task's error) on Express, 404 / 503 (Retry-After) on Fastify, ` +
        `from real errors; ` +
        `TaskQueueHealthIndicator under @nestjs/terminus ${terminus} up, then down (503); ` +
        'the dashboard mounted Bull Board behind basic auth, which listed the queues',
    );
    const versions = await checkEcosystem(dir, {
      REDIS_URL: redis.url,
      TASK_QUEUE_PREFIX: prefix,
    });
    step(
      `${app.name}: with ${versions}, @Cron and @Interval ran as tasks ` +
        `(schedule: 'distributed'), BullModule.forRoot() gave the connection and prefix, ` +
        `@InjectQueue gave the tasks' queue, and under the ` +
        `testing kit a queue that refuses, saying why`,
    );
    await checkOutbox(dir, { REDIS_URL: redis.url, TASK_QUEUE_PREFIX: `${prefix}-outbox` });
    step(
      `${app.name}: outbox in PostgreSQL: jobs enqueued in transactions (a pg client, and ` +
        `through typeormTransaction) ran once committed, none after a rollback; ` +
        `no nestjs-cls installed`,
    );
    await checkWorkerAndCli(dir, redis.url, `${prefix}-worker`);
    step(
      `${app.name}: worker.ts (runWorker) and the bin's worker ran jobs of a worker: false ` +
        `module that the bin enqueued with --wait; both ended by themselves on SIGTERM; ` +
        `tasks listed, a bad --payload exited 2`,
    );
  } finally {
    await removeKeys(redis.url, prefix);
  }
}

async function main() {
  step('build:lib');
  await run(process.execPath, [join(REPO, 'scripts/build-lib.js')], REPO, { stdio: 'inherit' });
  checkNoTerminusImport();
  const root = mkdtempSync(join(tmpdir(), 'task-queue-package-'));
  let redis;
  try {
    const packing = ['pack', '--json', '--pack-destination', root];
    const [packed] = JSON.parse(await run('npm', packing, LIB));
    step(`tarball holds ${checkContents(packed.files)} files (${packed.size} bytes packed)`);
    redis = await ensureRedis({ log: (message) => step(message) });
    const tarball = join(root, packed.filename);
    // The publish check and the two applications (each on its own prefix) are independent, and
    // mostly wait on npm, child processes and schedules: they run at once, each to its end.
    const outcomes = await Promise.allSettled([
      run('npm', ['publish', '--dry-run'], LIB, { stdio: ['ignore', 'ignore', 'pipe'] }).then(() =>
        step('npm publish --dry-run passed'),
      ),
      ...APPS.map((app) =>
        testApp(app, root, tarball, redis).catch((error) => {
          throw new Error(`${app.name}: ${error.message}`, { cause: error });
        }),
      ),
    ]);
    const failures = outcomes.flatMap((outcome) =>
      outcome.status === 'rejected' ? [outcome.reason] : [],
    );
    for (const failure of failures.slice(1)) console.error(failure);
    if (failures.length > 0) throw failures[0];
  } finally {
    await redis?.stop();
    removeInBackground(root);
  }
  step('test:package passed');
}

/**
 * Removes `dir` in a process of its own, which outlives this one: deleting two applications'
 * node_modules takes a while, and nothing needs to wait for it.
 */
function removeInBackground(dir) {
  spawn('rm', ['-rf', dir], { detached: true, stdio: 'ignore' }).unref();
}

async function removeKeys(url, prefix) {
  const client = new Redis(url);
  try {
    const keys = await client.keys(`${prefix}:*`);
    if (keys.length > 0) await client.del(...keys);
  } finally {
    client.disconnect();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
