// `behalf send --save <file>`: where each response body goes, checked before anything is sent, and the progress
// line drawn on stderr while it downloads (a terminal only, as curl does).

import { accessSync, constants, statSync } from 'node:fs';
import * as path from 'node:path';
import type { HttpFileRequest } from '../core/http/parser';
import { formatBytes, type BodyFile } from '../core/transport';
import type { Io } from './io';

/** The file each selected request's body is saved to, or the usage error (exit 2) that says why not. */
export function planSaves(save: string, selected: readonly HttpFileRequest[], io: Io): ((request: HttpFileRequest) => string) | string {
  const target = path.resolve(io.cwd, save);
  const stat = statSync(target, { throwIfNoEntry: false });
  const asFolder = stat?.isDirectory() || /[\\/]$/.test(save);
  if (asFolder) {
    if (!stat?.isDirectory()) return `--save ${save}: no such folder; create it first, or name a file.`;
    const writable = checkWritable(target, save);
    if (writable) return writable;
    // One file per request, by name: safe file names, unique within the run (names are; the index is).
    return (request) => path.join(target, (request.name ?? `request-${request.index + 1}`).replace(/[^\w.@-]+/g, '_'));
  }
  if (selected.length > 1)
    return `--save ${save} takes one response, and this run sends ${selected.length} requests: pick one with --name, or give a folder (--save ${save}/ , existing) to save each body as <folder>/<request name>.`;
  const folder = path.dirname(target);
  if (!statSync(folder, { throwIfNoEntry: false })?.isDirectory()) return `--save ${save}: the folder ${folder} does not exist.`;
  const writable = checkWritable(folder, path.dirname(save));
  if (writable) return writable;
  return () => target;
}

function checkWritable(folder: string, shown: string): string | undefined {
  try {
    accessSync(folder, constants.W_OK);
    return undefined;
  } catch {
    return `--save: the folder ${shown} is not writable.`;
  }
}

/**
 * What a saved response keeps in memory: the CLI prints no body when saving, but an error's explanation and
 * request variables read the start of it.
 */
const KEPT_BYTES = 1024 * 1024;

/** How often the progress line is redrawn: often enough to see it move, rarely enough to cost nothing. */
const PROGRESS_EVERY_MS = 100;

/**
 * A body file for `file`, with a curl-like progress line on stderr when it is a terminal
 * ("saving big.bin: 120.0 MB of 500.0 MB (24%) · 310.2 MB/s"); `clear()` removes the line when the request ends.
 */
export function bodyFileWithProgress(file: string, io: Io): { body: BodyFile; clear: () => void } {
  if (!io.stderrIsTerminal) return { body: { path: file, keepBytes: KEPT_BYTES }, clear: () => undefined };
  const started = Date.now();
  let drawnAt = 0;
  let drawn = false;
  const shown = path.relative(io.cwd, file) || file;
  return {
    body: {
      path: file,
      keepBytes: KEPT_BYTES,
      onProgress: (written, total) => {
        const now = Date.now();
        if (now - drawnAt < PROGRESS_EVERY_MS && written !== total) return;
        drawnAt = now;
        drawn = true;
        const rate = written / Math.max(0.001, (now - started) / 1000);
        const of = total ? ` of ${formatBytes(total)} (${Math.floor((written / total) * 100)}%)` : '';
        io.err(`\r\x1b[Ksaving ${shown}: ${formatBytes(written)}${of} · ${formatBytes(Math.round(rate))}/s`);
      },
    },
    clear: () => {
      if (drawn) io.err('\r\x1b[K');
    },
  };
}
