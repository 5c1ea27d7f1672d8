// A table of HTTP headers (name, value), as text: the response's and the request's.

import { h } from '../shared/dom';

export function headerTable(headers: Record<string, string>, label: string): HTMLElement {
  const entries = Object.entries(headers);
  if (entries.length === 0) return h('p', { class: 'empty' }, 'No headers.');
  const body = h('tbody');
  for (const [name, value] of entries)
    body.append(h('tr', {}, h('th', { scope: 'row', class: 'header-name' }, name), h('td', { class: 'header-value' }, value)));
  return h(
    'table',
    { class: 'headers grid', 'aria-label': label },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Value'))),
    body,
  );
}
