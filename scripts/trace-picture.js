#!/usr/bin/env node
// Usage: npm run build && node scripts/trace-picture.js [docs/tracing-waterfall.png]
// Makes the README's picture of one real trace: runs the built example (dist/src/main.js) on
// Redis and PostgreSQL with OTEL_EXPORTER_OTLP_ENDPOINT pointing at a small OTLP/JSON receiver
// on loopback (this script), sends `POST /users/1/status`, waits for its job, stops the app (which
// flushes its spans), draws the request's trace as a waterfall in HTML and screenshots it with
// headless Chromium. Needs Redis (REDIS_URL), PostgreSQL (TEST_DATABASE_URL, a schema of its own
// is made and dropped) and /usr/bin/chromium.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pg from 'pg';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.js';

const OUT = resolve(process.argv[2] ?? 'docs/tracing-waterfall.png');
const DATABASE = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const id = randomBytes(4).toString('hex');

/** The spans the receiver got, as OTLP/JSON gives them, with their service's name. */
const spans = [];
const receiver = createServer((request, response) => {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    const { resourceSpans = [] } = JSON.parse(Buffer.concat(chunks).toString() || '{}');
    for (const { resource, scopeSpans = [] } of resourceSpans) {
      const service = valueOf(resource?.attributes, 'service.name');
      for (const { scope, spans: each = [] } of scopeSpans) {
        for (const span of each) spans.push({ ...span, service, scope: scope?.name });
      }
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});

/** An attribute's value in OTLP/JSON's `[{ key, value: { stringValue | intValue | ... } }]`. */
function valueOf(attributes = [], key) {
  const value = attributes.find((attribute) => attribute.key === key)?.value;
  return value && Object.values(value)[0];
}

async function sql(statement) {
  const client = new pg.Client({ connectionString: DATABASE });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

async function main() {
  await new Promise((done) => receiver.listen(0, '127.0.0.1', done));
  const endpoint = `http://127.0.0.1:${receiver.address().port}`;
  const schema = `tqtrace_${id}`;
  await sql(`CREATE SCHEMA "${schema}"`);
  const databaseUrl = new URL(DATABASE);
  databaseUrl.searchParams.set('options', `-c search_path=${schema}`);
  const prefix = `tqtrace-${id}`;
  const app = spawn(process.execPath, ['dist/src/main.js'], {
    env: {
      ...process.env,
      PORT: '0',
      REDIS_URL,
      TASK_QUEUE_PREFIX: prefix,
      DATABASE_URL: databaseUrl.toString(),
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_SERVICE_NAME: 'task-queue-example',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const baseUrl = await new Promise((found, failed) => {
      let output = '';
      app.stdout.on('data', (chunk) => {
        output += chunk;
        const match = /Listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
        if (match) found(match[1]);
      });
      app.once('exit', (code) => failed(new Error(`the example exited (${code}):\n${output}`)));
    });
    const accepted = await fetch(`${baseUrl}/users/1/status`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'active' }),
    });
    const { jobId } = await accepted.json();
    for (let tries = 0; ; tries++) {
      const job = await (await fetch(`${baseUrl}/jobs/default/${jobId}`)).json();
      if (job.status === 'complete') break;
      if (job.status === 'failed' || tries > 100) throw new Error(`job: ${JSON.stringify(job)}`);
      await sleep(100);
    }
    const exited = new Promise((done) => app.once('exit', done));
    app.kill('SIGTERM');
    await exited;
  } finally {
    app.kill('SIGKILL');
    await sql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    receiver.close();
  }
  const run = spans.find((span) => span.name === 'process default');
  if (!run) throw new Error(`no run span among: ${spans.map((span) => span.name).join(', ')}`);
  const trace = spans.filter((span) => span.traceId === run.traceId);
  render(trace, run);
}

const KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];

/** The trace as a waterfall: one row per span, children under their parent, bars on one time scale. */
function render(trace, run) {
  const ns = (value) => BigInt(value);
  const start = trace.reduce(
    (min, span) => (ns(span.startTimeUnixNano) < min ? ns(span.startTimeUnixNano) : min),
    ns(trace[0].startTimeUnixNano),
  );
  const end = trace.reduce(
    (max, span) => (ns(span.endTimeUnixNano) > max ? ns(span.endTimeUnixNano) : max),
    0n,
  );
  const total = Number(end - start) / 1e6;
  const rows = [];
  const visit = (parentId, depth) => {
    const children = trace
      .filter((span) => (span.parentSpanId || undefined) === parentId)
      .sort((a, b) => Number(ns(a.startTimeUnixNano) - ns(b.startTimeUnixNano)));
    for (const span of children) {
      rows.push({ span, depth });
      visit(span.spanId, depth + 1);
    }
  };
  visit(undefined, 0);
  const escape = (text) => String(text).replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const detail = (span) => {
    const keys = [
      'http.route',
      'url.path',
      'messaging.message.id',
      'task_queue.task.name',
      'task_queue.job.outcome',
      'db.query.text',
      'db.statement',
    ];
    return keys
      .map((key) => [key, valueOf(span.attributes, key)])
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => `${key}=${String(value).slice(0, 70)}`)
      .join('  ');
  };
  const html = `<!doctype html><meta charset="utf-8"><style>
body { font: 13px system-ui, sans-serif; margin: 16px; color: #1f2328; background: #fff; }
h1 { font-size: 15px; margin: 0 0 4px; } p { margin: 0 0 12px; color: #59636e; }
.row { display: grid; grid-template-columns: 430px 1fr; align-items: center; height: 34px; border-top: 1px solid #eee; }
.name { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.name small { display: block; color: #59636e; font-size: 11px; overflow: hidden; text-overflow: ellipsis; }
.lane { position: relative; height: 16px; }
.bar { position: absolute; height: 16px; border-radius: 3px; min-width: 2px; }
.ms { position: absolute; top: 0; font-size: 11px; color: #59636e; white-space: nowrap; padding-left: 4px; }
.server { background: #0969da; } .producer { background: #8250df; } .consumer { background: #1a7f37; }
.client { background: #bf8700; } .internal, .unspecified { background: #6e7781; }
</style>
<h1>One request, one trace: ${escape(trace.length)} spans, ${total.toFixed(1)} ms</h1>
<p>trace ${escape(run.traceId)} · service ${escape(run.service)} · HTTP (blue) → enqueue, PRODUCER (purple) → run, CONSUMER (green) → SQL (amber)</p>
${rows
  .map(({ span, depth }) => {
    const left = (Number(ns(span.startTimeUnixNano) - start) / 1e6 / total) * 100;
    const width =
      (Number(ns(span.endTimeUnixNano) - ns(span.startTimeUnixNano)) / 1e6 / total) * 100;
    const ms = Number(ns(span.endTimeUnixNano) - ns(span.startTimeUnixNano)) / 1e6;
    const kind = KINDS[span.kind] ?? 'internal';
    return `<div class="row"><div class="name" style="padding-left:${depth * 18}px">${escape(span.name)} <small>${escape(kind)} · ${escape(detail(span))}</small></div>
<div class="lane"><div class="bar ${kind}" style="left:${left}%;width:${width}%"></div><div class="ms" style="${left + width > 85 ? `right:${100 - left}%;padding-right:4px` : `left:${left + width}%`}">${ms.toFixed(2)} ms</div></div></div>`;
  })
  .join('\n')}`;
  const dir = mkdtempSync(join(tmpdir(), 'trace-picture-'));
  try {
    const page = join(dir, 'trace.html');
    writeFileSync(page, html);
    const height = 110 + rows.length * 35;
    execFileSync(
      CHROMIUM,
      [
        ...CHROMIUM_ARGS,
        `--user-data-dir=${join(dir, 'profile')}`,
        '--hide-scrollbars',
        `--window-size=1200,${height}`,
        `--screenshot=${OUT}`,
        `file://${page}`,
      ],
      { stdio: 'ignore' },
    );
    console.log(`${OUT}: ${rows.length} spans of trace ${run.traceId}`);
    for (const { span, depth } of rows)
      console.log(`${'  '.repeat(depth)}${span.name} (${KINDS[span.kind]})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
