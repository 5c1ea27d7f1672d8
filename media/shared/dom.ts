// DOM helpers shared by every webview page. The rule they exist for: text from the host (server data, user
// names, field values) reaches the DOM only as text nodes, never through an API that parses markup
// (test/webview/protocol.test.ts greps media/ for such APIs).

export type Child = Node | string;

/** Attributes that load or run something, or style inline: never set from here, whatever their value. */
const ACTIVE_ATTRIBUTE = /^(on|style$|src$|srcdoc$|href$|action$|formaction$|xlink:href$)/i;

/** Creates an element. Strings become text nodes: this is the only way text enters the page. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (ACTIVE_ATTRIBUTE.test(name)) throw new Error(`refusing to set the ${name} attribute`);
    if (name === 'class') el.className = value;
    else el.setAttribute(name, value);
  }
  for (const child of children) el.append(typeof child === 'string' ? document.createTextNode(child) : child);
  return el;
}

export function button(label: string, attrs: Record<string, string>, onClick: (ev: MouseEvent) => void): HTMLButtonElement {
  const b = h('button', { type: 'button', ...attrs }, label);
  b.addEventListener('click', onClick);
  return b;
}

/** Text for screen readers only (visually hidden by base.css). */
export function srOnly(text: string): HTMLSpanElement {
  return h('span', { class: 'sr-only' }, text);
}

/** A titled block: `<section><h2>title</h2>…</section>`. */
export function section(title: string, ...content: Node[]): HTMLElement {
  return h('section', { class: 'section' }, h('h2', {}, title), ...content);
}

/** Buttons a keyboard user can reach inside `within`: not inside a hidden ancestor. */
export function visibleButtons(within: HTMLElement, selector = 'button'): HTMLButtonElement[] {
  return Array.from(within.querySelectorAll<HTMLButtonElement>(selector)).filter((b) => b.closest('[hidden]') === null);
}
