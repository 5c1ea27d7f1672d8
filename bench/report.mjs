// Renders bench/results.json as Markdown: bench/RESULTS.md (every case) and the short table the README's
// Performance section shows. `node bench/report.mjs [results.json]` re-renders RESULTS.md next to it.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ms = (x) => (typeof x === 'number' ? `${x >= 100 ? Math.round(x) : x.toFixed(1)} ms` : '—');
const mb = (x) => (typeof x === 'number' ? `${Math.round(x)} MB` : '—');
const times = (x) => (typeof x === 'number' ? `${x.toFixed(2)}×` : '—');
const mark = (met) => (met === true ? '✓' : met === false ? '✗' : 'not measured');

function measured(t) {
  if (t.value === null) return t.note ? `not measured: ${t.note}` : 'not measured';
  const value = t.unit === '×' ? times(t.value) : t.unit === 'ms' ? ms(t.value) : `${t.value} ${t.unit}`;
  return t.fromMinimums === undefined ? value : `${value} (fastest runs: ${times(t.fromMinimums)})`;
}

function limit(t) {
  const op = { '<=': '≤', '<': '<', '>=': '≥', '>': '>' }[t.op];
  return `${op} ${t.unit === '×' ? `${t.limit}×` : `${t.limit} ${t.unit}`}`;
}

function targetsTable(targets) {
  const rows = targets.map((t) => `| ${t.id.split('.')[0]} | ${t.text} | ${measured(t)} | ${limit(t)} | ${mark(t.met)} |`);
  return ['| Case | Target | Measured | Limit | Met |', '|---|---|---|---|---|', ...rows].join('\n');
}

function loopTable(c) {
  const rows = c.tools.map((t) => {
    if (t.error) return `| ${t.label} | failed: ${t.error.replace(/\|/g, '\\|')} | | | | | | |`;
    // How many times Behalf's median this tool's is (above 1: Behalf is that much faster).
    const behalfFaster = t.id === 'behalf' ? '' : times(t.ratios?.vs_behalf);
    return `| ${t.label} | **${ms(t.wallMs?.median)}** | ${ms(t.wallMs?.min)} | ${ms(t.wallMs?.max)} | ${times(t.ratios?.vs_raw)} | ${times(t.ratios?.vs_axios)} | ${behalfFaster} | ${mb(t.rssMB?.median)} |`;
  });
  return ['| Tool | Median | Min | Max | × raw | × axios | ÷ Behalf | Peak RSS |', '|---|---:|---:|---:|---:|---:|---:|---:|', ...rows].join('\n');
}

/** Case 2's own figure: its .http file parsed and resolved in-process (bench/src/parse.ts). */
function parseLine(c) {
  const p = c.parse;
  if (!p) return [];
  if (p.notMeasured) return ['', `Parse + resolve of this file: not measured: ${p.notMeasured}`];
  const s = (x) => `${ms(x.median)} (${ms(x.min)} – ${ms(x.max)}, n=${x.n})`;
  return [
    '',
    `Parse + resolve of this file (${p.requests} requests, ${p.mb} MB; parseHttpFile + resolveRequest of each, in-process, reading not timed): first pass in a fresh process **${s(p.coldMs)}**; repeated passes in the same process ${s(p.warmMs)}. Command: \`${p.command}\`.`,
  ];
}

/** Cases 1 and 2: the phase runs (raw and Behalf again, with a clock preload) split into start and requests. */
function phaseTable(c) {
  const p = c.phases;
  if (!p?.tools?.length) return [];
  const rows = p.tools.map((t) =>
    t.error
      ? `| ${t.label} | failed: ${t.error.replace(/\|/g, '\\|')} | | | |`
      : `| ${t.label} | ${ms(t.startMs?.median)} | ${ms(t.requestsMs?.median)} (${Math.round(t.perRequestUs)} µs each) | ${ms(t.restMs?.median)} | ${ms(t.wallMs?.median)} |`,
  );
  const over = p.behalfOverRaw;
  const gap = over
    ? [
        '',
        `Behalf over raw in these runs: ${ms(over.startMs)} before the first request (loading the CLI, reading and parsing the .http file and the connections file) and ${ms(over.requestsMs)} from there to exit (${Math.round(over.perRequestUs)} µs per request).`,
      ]
    : [];
  return [
    '',
    `Where the time goes: raw and Behalf once more, ${p.tools.find((t) => t.runs)?.runs ?? '?'} runs each, with \`node -r ${p.preload}\`, which reads the process's clock at its first request and at exit (medians; not the timed runs above):`,
    '',
    '| Tool | Start → first request | First request → exit | Rest of the wall time (spawn, teardown) | Wall |',
    '|---|---:|---:|---:|---:|',
    ...rows,
    ...gap,
  ];
}

function coldTable(c) {
  const rows = c.tools.map((t) =>
    t.error
      ? `| ${t.label} | failed: ${t.error} | | | | | |`
      : `| ${t.label} | **${ms(t.wallMs?.median)}** | ${ms(t.wallMs?.min)} | ${ms(t.wallMs?.max)} | ${times(t.ratios?.vs_node)} | ${times(t.ratios?.vs_behalf)} | ${mb(t.rssMB?.median)} |`,
  );
  return ['| Tool | Median | Min | Max | × node -e | × Behalf | Peak RSS |', '|---|---:|---:|---:|---:|---:|---:|', ...rows].join('\n');
}

function impersonationTable(c) {
  const rows = c.tools.map((t) => {
    if (t.error) return `| ${t.label} | failed: ${t.error} | | | | |`;
    const r = Object.entries(t.ratios ?? {}).find(([k]) => !k.endsWith('_wall'))?.[1];
    return `| ${t.label} | **${ms(t.loopMs?.median)}** | ${ms(t.loopMs?.min)} | ${ms(t.loopMs?.max)} | ${ms(t.wallMs?.median)} | ${r === undefined ? '' : times(r)} |`;
  });
  return ['| Variant | Loop median | Min | Max | Process (median) | × service user |', '|---|---:|---:|---:|---:|---:|', ...rows].join('\n');
}

function memoryTable(c) {
  const ids = [...new Set(c.tools.map((t) => t.id))];
  const rows = ids.map((id) => {
    const one = c.tools.find((t) => t.id === id && t.case === 1);
    const two = c.tools.find((t) => t.id === id && t.case === 2);
    const label = (one ?? two).label;
    return `| ${label} | ${mb(one?.rssMB?.median)} | ${times(one?.ratios?.vs_axios)} | ${mb(two?.rssMB?.median)} | ${times(two?.ratios?.vs_axios)} |`;
  });
  return ['| Tool | Case 1 peak RSS | × axios | Case 2 peak RSS | × axios |', '|---|---:|---:|---:|---:|', ...rows].join('\n');
}

function downloadTable(c) {
  const rows = c.tools.map((t) =>
    t.error
      ? `| ${t.label} | failed: ${t.error.replace(/\|/g, '\\|')} | | | | | |`
      : `| ${t.label} | **${ms(t.wallMs?.median)}** | ${ms(t.wallMs?.min)} | ${ms(t.wallMs?.max)} | ${t.throughputMBps ?? '—'} MB/s | ${times(t.ratios?.vs_pipeline)} | ${mb(t.rssMB?.median)} |`,
  );
  return ['| Tool | Median | Min | Max | Throughput | × pipeline throughput | Peak RSS |', '|---|---:|---:|---:|---:|---:|---:|', ...rows].join('\n');
}

function extensionTables(c) {
  const sizes = c.sizes.map((s) =>
    s.missing ? `| ${s.file} | missing | |` : `| ${s.file} | ${s.kb} KB (${s.bytes} B) | ${(s.gzipBytes / 1024).toFixed(1)} KB |`,
  );
  const parts = [['| Bundle | Minified | gzip -9 |', '|---|---:|---:|', ...sizes].join('\n')];
  const v = c.vscode ?? {};
  const fp = c.firstPaint ?? {};
  const d = c.diff ?? {};
  const range = (s) => (s ? `${ms(s.median)} (${ms(s.min)} – ${ms(s.max)}, n=${s.n})` : '—');
  const lines = [
    '| Measure | Median (min – max, runs) | Notes |',
    '|---|---|---|',
    `| Activation: Behalf's own (code loading + activate()) | ${v.notMeasured ? `not measured: ${v.notMeasured}` : range(v.ownActivateMs)} | VS Code's marks: loading dist/extension.js ${range(v.codeLoadingMs)}, activate() ${range(v.activateCallMs)}; activated once the host's event loop was quiet (after ${range(v.quietAfterMs)}), not during the workbench's start-up |`,
    `| First use after activation | ${v.notMeasured || !v.firstUseMs ? '—' : range(v.firstUseMs)} | the first command, view or CodeLens loads dist/extension-main.js and starts the services (not part of activation) |`,
    `| Activation: ext.activate() as a test sees it | ${v.notMeasured ? '—' : range(v.activateMs)} | also the host's work: ExtensionContext (storage, secrets), localization${v.activeBefore ? ' — WARNING: the extension was already active' : ''} |`,
    `| Tree: first render (load + expand) | ${v.notMeasured ? '—' : range(v.treeFirstRenderMs)} | from an unloaded store: the roots, then every row of the expanded connection (the two rows below, back to back) |`,
    `| Send Request → response panel first paint (new panel) | ${v.notMeasured ? `not measured: ${v.notMeasured}` : range(v.sendPaintMs)} | over the vendor sandbox (DealCloud GET rows/Deals as the service user), the panel closed before each send; the paint seen in the webview (rAF, then a task), same wall clock as the host; the command itself returned after ${range(v.sendCommandMs)}; panel already open: ${range(v.sendPaintReusedMs)}${v.panelFloorMs?.n ? `; the floor, a bare webview panel (static HTML, no script) opened the same way: ${range(v.panelFloorMs)}` : ''}${v.pagePaintMs?.n ? `; Behalf's page (its HTML, options and script) opened the same way and posted the same response at once, without a send: ${range(v.pagePaintMs)}` : ''} |`,
    `| Tree: load the connections file (roots) | ${v.notMeasured ? '—' : range(v.treeLoadMs)} | read + parse + validate the 10,000-principal file |`,
    `| Tree: expand the connection | ${v.notMeasured ? '—' : range(v.treeExpandMs)} | getChildren + getTreeItem for ${v.runs?.[0]?.treeChildren ?? '—'} nodes; warm: ${v.notMeasured ? '—' : range(v.treeExpandWarmMs)} |`,
    `| Tree: filter | ${v.treeFilterMs ? range(v.treeFilterMs) : `not measured: ${v.notMeasured ?? 'no figures'}`} | "Filter Principals…" with "${v.runs?.[0]?.treeFilterQuery ?? '—'}" (${v.runs?.[0]?.treeFilterResults ?? '—'} matches), then getChildren + getTreeItem of the roots and the matches; another query: ${range(v.treeFilterWarmMs)}; clearing it: ${range(v.treeFilterClearMs)} |`,
    `| Response panel: first paint, ${fp.bodyMB ?? 5} MB JSON | ${fp.notMeasured ? `not measured: ${fp.notMeasured}` : range(fp.firstPaintMs)} | raw toggle ${fp.rawToggleMs ? range(fp.rawToggleMs) : '—'}; longest task ${fp.longestTaskMs ? range(fp.longestTaskMs) : '—'} |`,
    `| Version-history diff | ${d.notMeasured ? `not measured: ${d.notMeasured}` : range(d.ms)} | ${d.function ? `${d.function}()` : ''}${d.function === 'summariseVersions' ? ': what the history panel needs before its first paint' : ''}${d.perVersionUs ? `; opening one version (diffVersion): ${d.perVersionUs.median} µs median, ${d.perVersionUs.max} µs max of ${d.perVersionUs.n}` : ''}${d.fullMs ? `; every version's diffs at once (diffVersions): ${range(d.fullMs)}` : ''} |`,
  ];
  parts.push(lines.join('\n'));
  return parts.join('\n\n');
}

/** The README's table: medians of cases 1-3 side by side, then every target. */
function summary(results) {
  const c = results.cases;
  const cols = [
    ['raw', 'raw http'],
    ['axios', 'axios'],
    ['behalf', '**Behalf**'],
    ['httpyac', 'httpyac'],
    ['newman', 'newman'],
  ];
  const cell = (kase, id, metric = 'wallMs') => {
    const t = kase?.tools.find((x) => x.id === id);
    return t?.[metric]?.median !== undefined ? (metric === 'rssMB' ? mb(t[metric].median) : ms(t[metric].median)) : '—';
  };
  const rows = [];
  if (c['1']) rows.push(`| ${c['1'].count} × GET 2 KB | ${cols.map(([id]) => cell(c['1'], id)).join(' | ')} |`);
  if (c['2']) rows.push(`| ${c['2'].count} × POST 100 KB | ${cols.map(([id]) => cell(c['2'], id)).join(' | ')} |`);
  if (c['3'])
    rows.push(
      `| cold start, 1 GET (raw = node -e) | ${cols.map(([id]) => (id === 'raw' ? cell(c['3'], 'node') : id === 'axios' ? '—' : cell(c['3'], id))).join(' | ')} |`,
    );
  if (c['1']) rows.push(`| peak RSS, ${c['1'].count} × GET | ${cols.map(([id]) => cell(c['1'], id, 'rssMB')).join(' | ')} |`);
  const header = `| Medians | ${cols.map(([, l]) => l).join(' | ')} |\n|---|${cols.map(() => '---:').join('|')}|`;
  const m = results.machine;
  return [
    `Measured by \`npm run bench\` on ${m.cpu} × ${m.cores}, Node ${results.node}, ${results.startedAt.slice(0, 10)} (${results.settings.runs} runs after ${results.settings.warmup} warm-up, medians; load average ${m.loadAverageAtStart.join(' ')}). Full tables: [bench/RESULTS.md](bench/RESULTS.md).`,
    '',
    header,
    ...rows,
    '',
    targetsTable(results.targets),
  ].join('\n');
}

export function render(results) {
  const m = results.machine;
  const s = results.settings;
  const out = [
    '# Behalf benchmarks',
    '',
    `Generated by \`${results.command}\` (${results.startedAt} → ${results.finishedAt}, ${results.durationS} s). Machine: ${m.cpu} × ${m.cores}, ${m.memoryMB} MB, ${m.platform}; Node ${results.node}; commit ${m.commit ?? '?'}${m.srcModified ? ' (src/ modified)' : ''}; load average ${m.loadAverageAtStart.join(' ')} at start, ${m.loadAverageAtEnd?.join(' ')} at end. Production build: ${results.build.production ? 'yes' : 'NO'}.`,
    '',
    `${s.runs} measured run(s) per tool (case 4: ${s.impersonationRuns ?? s.runs}; Chromium and VS Code: ${s.heavyRuns}) after ${s.warmup} warm-up run(s), interleaved; figures are min / median / max; ratios are of medians from this run, and verdicts use them; "fastest runs" is the same ratio from each side's fastest run, shown because the machine is shared. Peak RSS: ${s.rssMethod}.${s.quick ? ' **Quick run: tiny counts, not comparable with the targets.**' : ''}${
      Object.keys(results.peers).length
        ? ` Peers: ${Object.entries(results.peers)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')} (npm, installed in the bench cache).`
        : ' Peers not run.'
    }`,
    '',
    `## Targets: ${results.summary.met} met, ${results.summary.missed} missed, ${results.summary.notMeasured} not measured`,
    '',
    targetsTable(results.targets),
  ];
  for (const c of Object.values(results.cases)) {
    out.push('', `## ${c.id}. ${c.title}`, '', c.description, '');
    if (c.id === 1 || c.id === 2) out.push(loopTable(c), ...phaseTable(c), ...parseLine(c));
    else if (c.id === 3) out.push(coldTable(c));
    else if (c.id === 4) out.push(impersonationTable(c));
    else if (c.id === 5) out.push(memoryTable(c));
    else if (c.id === 6) out.push(extensionTables(c));
    else if (c.id === 7) out.push(downloadTable(c));
    const commands = (c.tools ?? []).filter((t) => t.command).map((t) => `- ${t.label}: \`${t.command}\``);
    if (commands.length && c.id !== 5) out.push('', 'Commands:', '', ...commands);
    if (c.targets?.length) out.push('', targetsTable(c.targets));
  }
  out.push('');
  return { markdown: out.join('\n'), summaryTable: summary(results) };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const file = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), 'results.json'));
  const { markdown } = render(JSON.parse(readFileSync(file, 'utf8')));
  writeFileSync(join(dirname(file), 'RESULTS.md'), markdown);
}
