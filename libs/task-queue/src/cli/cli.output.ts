/** @internal Rows as a table of left-aligned columns, two spaces apart; the first row heads it. */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** @internal `value` as the `--json` output: indented JSON. */
export const json = (value: unknown): string => JSON.stringify(value, null, 2);

/** @internal A value in a table cell: `-` for nothing, JSON for anything but a string. */
export function cell(value: unknown): string {
  if (value === null || value === undefined) return '-';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** @internal What a command prints: stdout and the exit code (0 unless it says otherwise). */
export interface CommandOutput {
  stdout: string;
  stderr?: string;
  code?: number;
}
