// Long text (a raw body, a request body) appended in slices between tasks, so a big body never blocks the page.

import { h } from '../shared/dom';

/** Raw text: slice size, and how long one task may spend appending slices. */
const RAW_SLICE = 64 * 1024;
const RAW_BUDGET_MS = 12;

/**
 * Where a slice of at most RAW_SLICE characters should end: after a newline in its second half if there is
 * one, else after a comma or space (a minified JSON body is one long line; a break after a comma changes
 * nothing when a selection is pasted as JSON), else at the limit. Never inside a surrogate pair.
 */
function sliceEnd(text: string, offset: number, limit: number): number {
  const from = offset + RAW_SLICE / 2;
  const tail = text.slice(from, limit);
  let cut = tail.lastIndexOf('\n');
  if (cut < 0) cut = tail.lastIndexOf(',');
  if (cut < 0) cut = tail.lastIndexOf(' ');
  let end = cut >= 0 ? from + cut + 1 : limit;
  const c = text.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end++;
  return end;
}

/**
 * Appends text as a series of blocks: the first synchronously, the rest in later tasks within a time budget,
 * so a multi-megabyte body never freezes the page. Each block is its own layout unit with content-visibility,
 * so off-screen ones cost nothing (one inline run of 5 MB took ~0.5 s per layout). The price: a selection
 * that spans two blocks gains a line break where they meet; "Copy body" is always exact.
 */
export function appendTextInSlices(target: HTMLElement, text: string, cancelled: () => boolean): void {
  if (text.length <= RAW_SLICE) {
    target.append(text);
    return;
  }
  let offset = 0;
  const step = (budgetMs: number): void => {
    const started = performance.now();
    do {
      let end = Math.min(text.length, offset + RAW_SLICE);
      if (end < text.length) end = sliceEnd(text, offset, end);
      target.append(h('span', { class: 'slice' }, text.slice(offset, end)));
      offset = end;
    } while (offset < text.length && performance.now() - started < budgetMs);
    if (offset < text.length) {
      target.setAttribute('aria-busy', 'true');
      window.setTimeout(() => {
        if (!cancelled()) step(RAW_BUDGET_MS);
      }, 0);
    } else {
      target.removeAttribute('aria-busy');
    }
  };
  step(0);
}
