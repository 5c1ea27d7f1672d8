// REST Client's XPath request variables (`{{login.response.body.//token}}`) and `?? body //token exists` assertions
// on an XML body, with the xpath and @xmldom/xmldom libraries. A module of its own, loaded only when a request variable holds an XPath: the bundles
// carry it as a separate file (scripts/build.mjs), so sending JSON never loads an XML parser.

import { DOMParser, XMLSerializer } from '@xmldom/xmldom';
import * as xpath from 'xpath';

export type XPathResult = { ok: true; value: string } | { ok: false; reason: 'xml' | 'xpath' | 'none'; message: string };

const ELEMENT = 1;
const DOCUMENT = 9;

/**
 * The value REST Client gives `expression` on `xml`: a string, number or boolean result as text; for nodes the
 * first one's: an element's content (its child nodes as XML), a document's root element, an attribute's or text
 * node's value.
 */
export function evaluateXPath(xml: string, expression: string): XPathResult {
  let doc: Document;
  try {
    let problem: string | undefined;
    doc = new DOMParser({
      onError: (level, message) => {
        if (level !== 'warning' && problem === undefined) problem = message;
      },
    }).parseFromString(xml, 'text/xml') as unknown as Document;
    if (problem !== undefined) return { ok: false, reason: 'xml', message: firstLine(problem) };
  } catch (e) {
    return { ok: false, reason: 'xml', message: firstLine(e instanceof Error ? e.message : String(e)) };
  }
  let result: xpath.SelectReturnType;
  try {
    result = xpath.select(expression, doc);
  } catch (e) {
    return { ok: false, reason: 'xpath', message: firstLine(e instanceof Error ? e.message : String(e)) };
  }
  if (typeof result === 'string' || typeof result === 'number' || typeof result === 'boolean') return { ok: true, value: String(result) };
  const nodes = Array.isArray(result) ? result : result ? [result] : [];
  if (!nodes.length) return { ok: false, reason: 'none', message: 'it selects nothing' };
  const node = nodes[0];
  const serialize = (n: Node): string => new XMLSerializer().serializeToString(n as never);
  if (node.nodeType === DOCUMENT) {
    const root = (node as Document).documentElement;
    return { ok: true, value: root ? serialize(root) : '' };
  }
  if (node.nodeType === ELEMENT) {
    let out = '';
    const children = node.childNodes;
    for (let i = 0; i < children.length; i++) out += serialize(children[i]);
    return { ok: true, value: out };
  }
  return { ok: true, value: node.nodeValue ?? '' };
}

/** Why `expression` is not an XPath (`XPath parse error`, `Unterminated string literal: 'x`), or undefined when it parses. */
export function xpathSyntaxProblem(expression: string): string | undefined {
  try {
    // parse() compiles without a document; xpath exports it, its typings do not declare it.
    (xpath as unknown as { parse(expression: string): unknown }).parse(expression);
    return undefined;
  } catch (e) {
    // The parser ends an unterminated string literal's text with the NUL it reads past the end.
    return firstLine((e instanceof Error ? e.message : String(e)).replace(/\0/g, ''));
  }
}

function firstLine(text: string): string {
  const line = text.split('\n')[0].trim();
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}
