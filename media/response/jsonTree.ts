// The response body as a JSON tree: children are created only when a node is expanded, long containers are
// paged, long strings are cut; what the user opened is kept in the page state (UiState).

import { formatCount } from './format';
import type { JsonEntry, JsonText } from './jsonScan';
import type { UiState } from './state';
import { button, h, visibleButtons } from '../shared/dom';

/** Members per page in a long container, and the threshold for collapsing an array by default. */
const PAGE = 200;
const LARGE_CONTAINER = 100;
/** Characters of a string value shown before "show all". */
const STRING_PREVIEW = 500;

interface TreeNode {
  entry: JsonEntry;
  path: string;
  depth: number;
  el: HTMLElement;
  toggle: HTMLButtonElement;
  children?: HTMLElement;
  more?: HTMLButtonElement;
  moreRow?: HTMLElement;
  next: number;
  shown: number;
  expanded: boolean;
  /** What the node would be without the user's say, so only deviations are stored. */
  byDefault: boolean;
}

export class JsonTree {
  private readonly nodes = new WeakMap<HTMLButtonElement, TreeNode>();
  private host: HTMLElement | undefined;

  constructor(
    private readonly doc: JsonText,
    private readonly ui: UiState,
    private readonly save: () => void,
  ) {}

  render(): HTMLElement {
    const host = h('div', { class: 'tree code', 'aria-label': 'Response body as a JSON tree' });
    this.host = host;
    host.append(this.node(this.doc.root(), '', 0, 1));
    host.addEventListener('keydown', (ev) => this.onKey(ev));
    return host;
  }

  private defaultExpanded(entry: JsonEntry, depth: number, siblings: number): boolean {
    if (depth === 0) return true;
    return depth === 1 && siblings <= 50 && entry.count <= LARGE_CONTAINER;
  }

  private node(entry: JsonEntry, path: string, depth: number, siblings: number): HTMLElement {
    const el = h('div', { class: 'node' });
    const row = h('div', { class: 'row' });
    el.append(row);
    const label = this.label(entry, depth);
    const container = entry.kind === 'object' || entry.kind === 'array';

    if (!container || entry.count === 0) {
      row.append(h('span', { class: 'spacer', 'aria-hidden': 'true' }));
      if (label) row.append(label);
      row.append(container ? h('span', { class: 'punct' }, entry.kind === 'object' ? '{}' : '[]') : this.value(entry, path));
      return el;
    }

    const name = entry.key !== undefined ? entry.key : depth === 0 ? 'root' : `item ${entry.index}`;
    const toggle = h('button', { type: 'button', class: 'twisty', 'aria-expanded': 'false', 'aria-label': `${name}, ${this.countText(entry)}` });
    const byDefault = this.defaultExpanded(entry, depth, siblings);
    const node: TreeNode = { entry, path, depth, el, toggle, next: -1, shown: 0, expanded: false, byDefault };
    this.nodes.set(toggle, node);
    toggle.addEventListener('click', () => this.setExpanded(node, !node.expanded, true));
    const preview = h(
      'span',
      { class: 'preview' },
      h('span', { class: 'punct' }, entry.kind === 'object' ? '{…}' : '[…]'),
      h('span', { class: 'count' }, this.countText(entry)),
    );
    row.append(toggle);
    if (label) row.append(label);
    row.append(preview);

    const wanted = this.ui.toggled[path] ?? byDefault;
    if (wanted) this.setExpanded(node, true, false);
    return el;
  }

  private countText(entry: JsonEntry): string {
    return entry.kind === 'object' ? formatCount(entry.count, 'key', 'keys') : formatCount(entry.count, 'item', 'items');
  }

  /** "name: " for object members, "3: " for array items, nothing for the root. */
  private label(entry: JsonEntry, depth: number): HTMLElement | undefined {
    if (entry.key !== undefined) {
      return h('span', { class: 'key' }, h('span', { class: 'key-name' }, entry.key === '' ? '""' : entry.key), h('span', { class: 'punct' }, ': '));
    }
    if (depth > 0) return h('span', { class: 'key index' }, String(entry.index), h('span', { class: 'punct' }, ': '));
    return undefined;
  }

  private value(entry: JsonEntry, path: string): HTMLElement {
    if (entry.kind !== 'string') return h('span', { class: `value ${entry.kind}` }, this.doc.source(entry));
    // Re-escaped so control characters stay visible on one line; other characters shown as themselves.
    const full = JSON.stringify(this.doc.stringValue(entry));
    const span = h('span', { class: 'value string' });
    if (full.length <= STRING_PREVIEW || this.ui.fullStrings[path]) {
      span.append(full);
      return span;
    }
    const rest = full.length - STRING_PREVIEW;
    const more = button(`… ${formatCount(rest, 'more character', 'more characters')}`, { class: 'link more-chars' }, () => {
      this.ui.fullStrings[path] = true;
      span.replaceChildren(full);
      this.save();
    });
    span.append(full.slice(0, STRING_PREVIEW), more);
    return span;
  }

  private setExpanded(node: TreeNode, expanded: boolean, byUser: boolean): void {
    node.expanded = expanded;
    node.toggle.setAttribute('aria-expanded', String(expanded));
    node.el.classList.toggle('expanded', expanded);
    if (expanded && !node.children) {
      node.children = h('div', { class: 'children', role: 'group' });
      node.el.append(node.children);
      const target = Math.max(PAGE, this.ui.shown[node.path] ?? 0);
      this.loadMore(node, target, undefined);
    }
    if (node.children) node.children.hidden = !expanded;
    if (byUser) {
      if (expanded === node.byDefault) delete this.ui.toggled[node.path];
      else this.ui.toggled[node.path] = expanded;
      this.save();
    }
  }

  /** Renders up to `count` more members of `node`, then a "show more" button if members remain. */
  private loadMore(node: TreeNode, count: number, from: number | undefined): void {
    const children = node.children;
    if (!children) return;
    const { entries, next } = this.doc.page(node.entry, count, from, node.shown);
    const frag = document.createDocumentFragment();
    for (const child of entries) {
      frag.append(this.node(child, `${node.path}/${child.index}`, node.depth + 1, node.entry.count));
    }
    node.shown += entries.length;
    node.next = next;
    node.moreRow?.remove();
    node.more = undefined;
    node.moreRow = undefined;
    if (next >= 0) {
      const remaining = node.entry.count - node.shown;
      const label = `Show ${Math.min(PAGE, remaining).toLocaleString('en-US')} more (${node.shown.toLocaleString('en-US')} of ${node.entry.count.toLocaleString('en-US')} shown)`;
      const more = button(label, { class: 'link more' }, () => {
        const firstNew = node.shown;
        this.loadMore(node, PAGE, node.next);
        this.ui.shown[node.path] = node.shown;
        this.save();
        // Keep the keyboard where it was: on the next "show more", or on the first member just added.
        if (node.more) node.more.focus();
        else
          this.focusable(children)
            .find((b) => this.nodes.get(b)?.entry.index === firstNew)
            ?.focus();
      });
      node.more = more;
      node.moreRow = h('div', { class: 'row more-row' }, more);
      frag.append(node.moreRow);
    }
    children.append(frag);
  }

  /** Buttons in the tree a keyboard user can reach: inside expanded nodes only. */
  private focusable(within: HTMLElement): HTMLButtonElement[] {
    return visibleButtons(within);
  }

  private onKey(ev: KeyboardEvent): void {
    const target = ev.target;
    if (!(target instanceof HTMLButtonElement) || !this.host) return;
    const node = this.nodes.get(target);
    const all = (): HTMLButtonElement[] => (this.host ? this.focusable(this.host) : []);
    const move = (delta: number): void => {
      const list = all();
      const i = list.indexOf(target);
      list[Math.max(0, Math.min(list.length - 1, i + delta))]?.focus();
    };
    switch (ev.key) {
      case 'ArrowRight':
        if (!node) return;
        if (!node.expanded) this.setExpanded(node, true, true);
        else if (node.children) this.focusable(node.children)[0]?.focus();
        break;
      case 'ArrowLeft': {
        if (node?.expanded) {
          this.setExpanded(node, false, true);
          break;
        }
        const parentEl = target.closest('.children')?.parentElement;
        const parentToggle = parentEl?.querySelector<HTMLButtonElement>(':scope > .row > .twisty');
        parentToggle?.focus();
        break;
      }
      case 'ArrowDown':
        move(1);
        break;
      case 'ArrowUp':
        move(-1);
        break;
      case 'Home':
        all()[0]?.focus();
        break;
      case 'End':
        all().at(-1)?.focus();
        break;
      default:
        return;
    }
    ev.preventDefault();
  }
}
