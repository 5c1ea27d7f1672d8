// Preload for the bench's phase runs of cases 1 and 2 (`node -r bench/clients/phases.cjs <tool> …`): reads the
// process's clock (performance.now(), from the process's start) when the first HTTP request starts and when the
// process exits, and appends them as one JSON line to $BENCH_PHASES_FILE. It splits a tool's time into its start
// (to the first request) and its requests (the first request to exit), so that a ratio to the raw loop says where
// it is lost. It listens to node:http's own diagnostics channel, and only until the first request: nothing is
// added to the requests themselves.
'use strict';
const { appendFileSync } = require('node:fs');
const diagnostics = require('node:diagnostics_channel');

const out = process.env.BENCH_PHASES_FILE;
if (!out) throw new Error('bench/clients/phases.cjs: BENCH_PHASES_FILE is not set');
let firstRequestMs = null;
const onFirstRequest = () => {
  firstRequestMs = performance.now();
  diagnostics.unsubscribe('http.client.request.start', onFirstRequest);
};
diagnostics.subscribe('http.client.request.start', onFirstRequest);
process.once('exit', () => appendFileSync(out, `${JSON.stringify({ firstRequestMs, exitMs: performance.now() })}\n`));
