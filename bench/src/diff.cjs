// Case 6: the version-history diff of 1,000 versions × 50 fields. The module under test (src/core/versionDiff.ts)
// is bundled by bench/run.mjs into bench/.build/run-<pid>/versionDiff.js; this script feeds it the generated history
// and prints one JSON line with the timings, or {"notMeasured": "<reason>"}.
//   node bench/src/diff.cjs <bundled module> <versions> <fields> <runs>
// The figure (`timings`) is what the history panel computes before its first paint: summariseVersions, each
// version's summary (the panel shows versions collapsed and asks for a version's diffs when it is opened). Beside
// it: `perVersion`, diffVersion of each version on its own (what opening one costs), and `fullTimings`,
// diffVersions of every version (all the diffs at once: what the figure measured before the panel split the work).
'use strict';

const [modulePath, versionsArg, fieldsArg, runsArg] = process.argv.slice(2);
const VERSIONS = Number(versionsArg);
const FIELDS = Number(fieldsArg);
const RUNS = Number(runsArg);

/**
 * AssetVersion[] (src/core/model.ts), oldest first: every version changes every field. Text fields change a word
 * in a sentence; every tenth field holds JSON with one changed member; version 1 sets everything.
 */
function value(f, v) {
  if (f % 10 === 9)
    return JSON.stringify({ status: ['draft', 'review', 'final'][v % 3], revision: v, tags: ['a', 'b', `v${v % 5}`], owner: { id: 6000 + (f % 7) } });
  return `${['Caption', 'Title', 'Keywords', 'Notes'][f % 4]} of field ${f}: harbour at dawn, revision ${v}, ${'lorem ipsum dolor sit amet '.repeat(1 + (f % 4))}`;
}

function history() {
  const versions = [];
  for (let v = 1; v <= VERSIONS; v++) {
    const changes = [];
    for (let f = 0; f < FIELDS; f++) changes.push({ field: `Field${f}`, oldValue: v === 1 ? '' : value(f, v - 1), newValue: value(f, v) });
    versions.push({ version: v, date: new Date(Date.UTC(2026, 0, 1) + v * 3600_000).toISOString(), user: `user${v % 7}@acme.test`, changes });
  }
  return versions;
}

function out(result) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

let mod;
try {
  mod = require(modulePath);
} catch (e) {
  out({ notMeasured: `src/core/versionDiff.ts did not load: ${e.message}` });
  process.exit(0);
}
// summariseVersions (the first paint's part) when the module has it; else diffVersions(versions: AssetVersion[]); else
// (the API moved) a function whose name says it diffs versions, else the only export.
const fns = Object.entries(mod).filter(([, v]) => typeof v === 'function');
const pick =
  fns.find(([k]) => k === 'summariseVersions') ??
  fns.find(([k]) => k === 'diffVersions') ??
  fns.find(([k]) => /diff.*versions|versions.*diff/i.test(k)) ??
  (fns.length === 1 ? fns[0] : undefined);
if (!pick) {
  out({ notMeasured: `src/core/versionDiff.ts exports no diff function (exports: ${Object.keys(mod).join(', ') || 'none'})` });
  process.exit(0);
}
const [name, fn] = pick;
const input = history();

/** `runs` timings of f() after one warm-up (JIT), like the extension's second open of a history. */
function time(f, runs) {
  const timings = [];
  f();
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    f();
    timings.push(performance.now() - t);
  }
  return timings;
}

const result = { function: name, versions: VERSIONS, fields: FIELDS };
try {
  result.timings = time(() => fn(input), RUNS);
  if (name === 'summariseVersions' && typeof mod.diffVersion === 'function') {
    // Opening one version: each version of the history diffed on its own, once (after a warm-up of the first).
    mod.diffVersion(input, input[0].version);
    result.perVersion = input.map((v) => {
      const t = performance.now();
      mod.diffVersion(input, v.version);
      return performance.now() - t;
    });
  }
  if (name !== 'diffVersions' && typeof mod.diffVersions === 'function') result.fullTimings = time(() => mod.diffVersions(input), RUNS);
} catch (e) {
  out({ notMeasured: `${name}(versions) threw: ${e.message} (the bench passes AssetVersion[]; adapt bench/src/diff.cjs to the final API)` });
  process.exit(0);
}
out(result);
