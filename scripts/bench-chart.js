#!/usr/bin/env node
// Usage: node scripts/bench-chart.js [results.json] [chart.svg]
// Prints the run's results as a Markdown table (for docs/benchmarks.md), and draws the processing figures of a bench run (`npm run bench` JSON): median no-op jobs/s per
// library at each concurrency, with each round's min–max as a whisker. Plain SVG, no deps.
// A run on PostgreSQL or PGlite (`--backend`) has no @nestjs/bullmq figures: its columns are left out.

import { readFileSync, writeFileSync } from 'node:fs';

const [input = 'bench/results/full-run.json', output = 'docs/benchmarks-processing.svg'] =
  process.argv.slice(2);
const report = JSON.parse(readFileSync(input, 'utf8'));

const withNest = report.figures.every((figure) => figure.median.nest !== undefined);
const LIBRARIES = [
  { id: 'raw', label: 'BullMQ', color: '#6b7280' },
  { id: 'nest', label: '@nestjs/bullmq', color: '#e0234e' },
  { id: 'module', label: 'TaskQueueModule', color: '#2563eb' },
].filter((library) => withNest || library.id !== 'nest');
const groups = ['process-c1', 'process-c10', 'process-c50']
  .map((id) => report.figures.find((figure) => figure.id === id))
  .filter(Boolean);
if (groups.length === 0) throw new Error(`${input} has no processing figures`);

const width = 720;
const height = 400;
const margin = { top: 56, right: 24, bottom: 72, left: 72 };
const plotWidth = width - margin.left - margin.right;
const plotHeight = height - margin.top - margin.bottom;
const values = groups.flatMap((figure) => figure.rounds.flatMap((round) => Object.values(round)));
const top = niceCeiling(Math.max(...values));
const y = (value) => margin.top + plotHeight * (1 - value / top);
const groupWidth = plotWidth / groups.length;
const barWidth = (groupWidth * 0.7) / LIBRARIES.length;

/** A round number at or above `value`, for the axis. */
function niceCeiling(value) {
  const step = 10 ** Math.floor(Math.log10(value));
  return Math.ceil(value / step) * step;
}

const escape = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;');
const parts = [];
const text = (x, yPos, content, attrs = '') =>
  parts.push(`<text x="${x}" y="${yPos}" ${attrs}>${escape(content)}</text>`);

for (let tick = 0; tick <= 4; tick++) {
  const value = (top * tick) / 4;
  parts.push(
    `<line x1="${margin.left}" x2="${width - margin.right}" y1="${y(value)}" y2="${y(value)}" stroke="#e5e7eb"/>`,
  );
  text(margin.left - 8, y(value) + 4, Math.round(value), 'text-anchor="end"');
}
groups.forEach((figure, g) => {
  const x0 = margin.left + g * groupWidth + groupWidth * 0.15;
  LIBRARIES.forEach((library, l) => {
    const median = figure.median[library.id];
    const rounds = figure.rounds.map((round) => round[library.id]);
    const x = x0 + l * barWidth;
    const mid = x + barWidth / 2;
    parts.push(
      `<rect x="${x}" y="${y(median)}" width="${barWidth - 4}" height="${y(0) - y(median)}" fill="${library.color}"><title>${escape(
        `${library.label}: ${Math.round(median)} jobs/s (rounds ${rounds.map(Math.round).join(', ')})`,
      )}</title></rect>`,
      `<line x1="${mid - 2}" x2="${mid - 2}" y1="${y(Math.min(...rounds))}" y2="${y(Math.max(...rounds))}" stroke="#111827"/>`,
    );
    text(mid - 2, y(median) - 6, Math.round(median), 'text-anchor="middle" font-size="10"');
  });
  const concurrency = figure.id.replace('process-c', '');
  text(
    margin.left + (g + 0.5) * groupWidth,
    y(0) + 20,
    `concurrency ${concurrency}`,
    'text-anchor="middle"',
  );
  const ratio = figure.vsRaw.module.median.toFixed(2);
  text(
    margin.left + (g + 0.5) * groupWidth,
    y(0) + 36,
    `TaskQueueModule / BullMQ: ${ratio}`,
    'text-anchor="middle" font-size="11" fill="#374151"',
  );
});
LIBRARIES.forEach((library, l) => {
  const x = margin.left + l * 170;
  parts.push(`<rect x="${x}" y="${height - 22}" width="12" height="12" fill="${library.color}"/>`);
  text(x + 18, height - 12, library.label);
});
text(
  margin.left,
  28,
  `No-op jobs/s, queue pre-filled (median of ${report.rounds} interleaved rounds; whisker: min–max)`,
  'font-size="14" font-weight="bold"',
);
text(
  margin.left,
  44,
  `${report.mode} run ${report.runId}, ${report.date.slice(0, 10)}`,
  'font-size="11" fill="#6b7280"',
);

const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#ffffff"/>
${parts.join('\n')}
</svg>
`;
writeFileSync(output, svg);
console.error(`Wrote ${output}`);

const cell = (figure, value) =>
  figure.unit === 'ms' ? value.toFixed(2) : String(Math.round(value));
const versus = (figure, spread) =>
  figure.kind === 'latency'
    ? `${spread.median >= 0 ? '+' : ''}${spread.median.toFixed(2)} ms`
    : `${spread.median.toFixed(2)} (${spread.min.toFixed(2)}–${spread.max.toFixed(2)})`;
// The columns of @nestjs/bullmq, left out when the run has none.
const NEST_COLUMNS = new Set([3, 6, 7]);
const shown = (cells) =>
  `| ${cells.filter((_, i) => withNest || !NEST_COLUMNS.has(i)).join(' | ')} |`;
const rows = [
  shown([
    'Figure',
    'Unit',
    'BullMQ',
    '@nestjs/bullmq',
    'TaskQueueModule',
    'TaskQueueModule / BullMQ',
    '@nestjs/bullmq / BullMQ',
    'TaskQueueModule / @nestjs/bullmq',
    'BullMQ / BullMQ (noise floor)',
  ]),
  shown(['---', '---', '---:', '---:', '---:', '---:', '---:', '---:', '---:']),
  ...report.figures.map((f) => {
    const floor = report.noiseFloor?.[f.id];
    return shown([
      f.label,
      f.unit,
      cell(f, f.median.raw),
      withNest ? cell(f, f.median.nest) : '',
      cell(f, f.median.module),
      versus(f, f.vsRaw.module),
      withNest ? versus(f, f.vsRaw.nest) : '',
      f.moduleVsNest ? versus(f, f.moduleVsNest) : '',
      floor ? versus(f, floor) : '',
    ]);
  }),
];
console.log(rows.join('\n'));
if (report.memory) {
  const points = report.memory.checkpoints
    .map(
      (p) =>
        `${p.rssMb.toFixed(1)} MB after ${p.processed} jobs (heap used ${p.heapUsedMb.toFixed(1)} MB)`,
    )
    .join(', ');
  console.log(
    `\nMemory (TaskQueueModule worker): RSS ${points}; growth ${report.memory.growthMb.toFixed(1)} MB.`,
  );
}
if (report.perJobDi) {
  const { concurrency, scoped, plain, ratio, scopedCpu, plainCpu } = report.perJobDi;
  console.log(
    `\nPer-job DI (TaskQueueModule, concurrency ${concurrency}): ${Math.round(scoped.median)} jobs/s with a ` +
      `request-scoped parameter, ${Math.round(plain.median)} without; ratio ${ratio.median.toFixed(2)} ` +
      `(${ratio.min.toFixed(2)}–${ratio.max.toFixed(2)}); worker CPU per job ${scopedCpu.median.toFixed(0)} µs ` +
      `with, ${plainCpu.median.toFixed(0)} µs without.`,
  );
}
console.log(`\nmin-ratio-vs-bullmq: ${report.minRatioVsBullmq.toFixed(2)}`);
