// The attribution box of the response panel: who the vendor recorded a write under, and "Check again".

import type { AttributionCheck, ResponseViewAttribution } from '../../src/protocol/response';
import { button, h } from '../shared/dom';

/**
 * The attribution box: the result, its advice, "Check again", and a line for where a re-check stands. The box
 * is a polite live region (not atomic): "Checking again…", then the new result or why there is none, are
 * announced on their own. While a check runs the button stays focusable but does nothing (aria-disabled).
 */
export class AttributionBox {
  readonly el: HTMLElement;
  private readonly message: HTMLElement;
  private readonly text: HTMLElement;
  private advice: HTMLElement | undefined;
  private readonly line: HTMLElement;
  private readonly again: HTMLButtonElement;

  constructor(
    private attribution: ResponseViewAttribution,
    ask: (assetId: string) => void,
  ) {
    this.el = h('div', { role: 'status', 'aria-live': 'polite', 'aria-atomic': 'false' });
    this.message = h('span', { class: 'attribution-message' });
    this.text = h('div', { class: 'attribution-text' }, this.message);
    this.line = h('span', { class: 'attribution-check' });
    this.line.hidden = true;
    this.again = button('Check again', { class: 'secondary verify-attribution', title: `Read the version history of ${attribution.assetId} again` }, () => {
      if (this.again.getAttribute('aria-disabled') === 'true') return; // one check at a time
      ask(this.attribution.assetId);
      this.apply({ state: 'checking' }); // at once; the host confirms
    });
    this.text.append(this.line);
    this.el.append(this.text, this.again);
    this.showResult(attribution);
  }

  private showResult(a: ResponseViewAttribution): void {
    this.attribution = a;
    this.el.className = `attribution ${a.outcome === 'recorded-as-principal' ? 'attribution-ok' : 'attribution-warn'}`;
    this.message.textContent = a.message;
    if (a.advice) {
      this.advice ??= h('span', { class: 'attribution-advice' });
      this.advice.textContent = a.advice;
      if (!this.advice.isConnected) this.message.after(this.advice);
    } else {
      this.advice?.remove();
      this.advice = undefined;
    }
  }

  apply(check: AttributionCheck): void {
    const checking = check.state === 'checking';
    if (checking) this.again.setAttribute('aria-disabled', 'true');
    else this.again.removeAttribute('aria-disabled');
    this.el.classList.toggle('attribution-checking', checking);
    this.line.classList.toggle('attribution-error', check.state === 'failed');
    if (check.state === 'checked') this.showResult(check.attribution);
    this.line.textContent = check.state === 'checking' ? 'Checking again…' : check.state === 'checked' ? 'Checked again.' : check.message;
    this.line.hidden = false;
  }
}
