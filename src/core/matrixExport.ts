// An access matrix result as a file: JSON (the `behalf matrix --json` object of issue 14), CSV (one line per cell) and
// Markdown (the grid as a table, then what was not as expected). Pure; the result's URLs should be redacted already.

import type { Verdict } from './expectations';
import { matrixPassed, type MatrixCell, type MatrixResult } from './matrix';

/** One cell as `--json` shows it: the cell without its response record (opened in the editor, never written out). */
export type MatrixJsonCell = Omit<MatrixCell, 'record' | 'verdicts'> & { verdicts?: Verdict[] };

export interface MatrixJson {
  identities: MatrixResult['identities'];
  requests: MatrixResult['requests'];
  cells: MatrixJsonCell[];
  /** Every sent cell got an answer and every expectation holds (the CLI's exit 0). */
  passed: boolean;
}

/** `behalf matrix --json`'s object (the same shape as src/cli/matrix.ts jsonMatrix, which should call this). */
export function matrixJsonObject(result: MatrixResult): MatrixJson {
  return {
    identities: result.identities.map(({ id, label, connection }) => ({ id, label, connection })),
    requests: result.requests.map(({ name, method, url, skipped }) => ({ name, method, url, ...(skipped ? { skipped } : {}) })),
    cells: result.cells.map(({ record: _record, verdicts, ...cell }) => ({
      ...cell,
      ...(cell.durationMs !== undefined ? { durationMs: Math.round(cell.durationMs * 10) / 10 } : {}),
      ...(verdicts.length ? { verdicts } : {}),
    })),
    passed: matrixPassed(result),
  };
}

export function matrixJson(result: MatrixResult): string {
  return `${JSON.stringify(matrixJsonObject(result), null, 2)}\n`;
}

const CSV_COLUMNS = [
  'request',
  'method',
  'url',
  'identity',
  'label',
  'connection',
  'outcome',
  'status',
  'rows',
  'durationMs',
  'expected',
  'met',
  'explanation',
  'error',
];

/** One line per cell (RFC 4180 quoting; a leading =, +, - or @ is quoted with a ' so spreadsheets do not run it). */
export function matrixCsv(result: MatrixResult): string {
  const requests = new Map(result.requests.map((r) => [r.name, r]));
  const identities = new Map(result.identities.map((i) => [i.id, i]));
  const lines = [CSV_COLUMNS.join(',')];
  for (const cell of result.cells) {
    if (!cell) continue;
    const r = requests.get(cell.request);
    const i = identities.get(cell.identity);
    const values: Array<string | number | boolean | undefined> = [
      cell.request,
      r?.method,
      r?.url,
      cell.identity,
      i?.label,
      i?.connection,
      cell.outcome,
      cell.status,
      cell.rows,
      cell.durationMs === undefined ? undefined : Math.round(cell.durationMs),
      cell.expected?.join('; '),
      cell.met,
      cell.explanation,
      cell.error,
    ];
    lines.push(values.map(csvValue).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

function csvValue(value: string | number | boolean | undefined): string {
  if (value === undefined) return '';
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text) && typeof value === 'string') text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const SYMBOL: Record<MatrixCell['outcome'], string> = { allowed: '✓', denied: '✗', error: '!', skipped: '–' };

/** "✓ 200 · 3 rows", "✗ 403", "! error", "–". */
export function cellText(cell: MatrixCell | undefined): string {
  if (!cell) return '…';
  const parts = [SYMBOL[cell.outcome]];
  if (cell.status !== undefined) parts.push(String(cell.status));
  let text = parts.join(' ');
  if (cell.rows !== undefined) text += ` · ${cell.rows} ${cell.rows === 1 ? 'row' : 'rows'}`;
  if (cell.met === false) text += ' ≠';
  return text;
}

/** The grid as a Markdown table (requests × identities), then unmet expectations and explanations. */
export function matrixMarkdown(result: MatrixResult, title = 'Access matrix'): string {
  const cells = new Map(result.cells.filter((c) => c !== undefined).map((c) => [JSON.stringify([c.request, c.identity]), c]));
  const out = [`# ${md(title)}`, ''];
  out.push(`| Request | ${result.identities.map((i) => md(i.label)).join(' | ')} |`);
  out.push(`| --- |${result.identities.map(() => ' :-: |').join('')}`);
  for (const r of result.requests) {
    const row = result.identities.map((i) => md(cellText(cells.get(JSON.stringify([r.name, i.id])))));
    out.push(`| ${md(`${r.name}`)} \`${md(r.method)}\` | ${row.join(' | ')} |`);
  }
  out.push('', '✓ allowed · ✗ denied · ! error · – skipped · ≠ an expectation not met', '');
  const unmet: string[] = [];
  const notes: string[] = [];
  const labels = new Map(result.identities.map((i) => [i.id, i.label]));
  for (const cell of cells.values()) {
    const who = `${labels.get(cell.identity) ?? cell.identity} · ${cell.request}`;
    for (const v of cell.verdicts) if (!v.met) unmet.push(`- line ${v.source.line}: ${md(who)}: expected ${md(v.expected)}, got ${md(v.actual)}`);
    const why = cell.explanation ?? (cell.outcome === 'error' ? cell.error : undefined);
    if (why) notes.push(`- ${md(who)}: ${md(why)}`);
  }
  if (unmet.length) out.push('## Expectations not met', '', ...unmet, '');
  if (notes.length) out.push('## Explanations', '', ...notes, '');
  return `${out.join('\n').trimEnd()}\n`;
}

/** Text in a Markdown table cell: pipes, backslashes and markup characters escaped, lines joined. */
function md(text: string): string {
  return text.replace(/[\\|`*_[\]<>#]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ');
}
