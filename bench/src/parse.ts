// Case 2's parse figure: what `behalf send` does with the .http file before the first request goes out —
// parseHttpLines, then resolveRequest of every request (variables, body) — timed in-process over the case-2 file
// (100 requests, ~10 MB). Reading the file (readHttpFileLines, which also splits it into lines) is not timed: the
// loops read their body file too. Bundled by
// bench/run.mjs with the CLI's esbuild settings into bench/.build/run-<pid>/parse.js.
//   node bench/.build/run-<pid>/parse.js <file.http> <repeats>
// Prints one JSON line: { requests, bytes, coldMs (the first pass in a fresh process, as the CLI sees it), warmMs[] }.

import { statSync } from 'node:fs';
import { parseHttpLines } from '../../src/core/http/parser';
import { readHttpFileLines, resolveRequest, type VariableContext } from '../../src/core/http/variables';

function parseAndResolve(lines: string[], file: string, context: VariableContext): number {
  const parsed = parseHttpLines(lines, file);
  const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(`${file}:${errors[0].position.line}: ${errors[0].message}`);
  for (const request of parsed.requests) resolveRequest(parsed, request, context);
  return parsed.requests.length;
}

function main(): void {
  const [file, repeatsArg] = process.argv.slice(2);
  if (!file) throw new Error('usage: parse.js <file.http> [repeats]');
  const repeats = Number(repeatsArg ?? 5);
  const lines = readHttpFileLines(file);
  const context: VariableContext = { processEnv: process.env, dotenv: () => undefined };
  let t = performance.now();
  const requests = parseAndResolve(lines, file, context);
  const coldMs = performance.now() - t;
  const warmMs: number[] = [];
  for (let i = 0; i < repeats; i++) {
    t = performance.now();
    parseAndResolve(lines, file, context);
    warmMs.push(performance.now() - t);
  }
  process.stdout.write(`${JSON.stringify({ requests, bytes: statSync(file).size, coldMs, warmMs })}\n`);
}

try {
  main();
} catch (e) {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}
