// User-controlled text (a URL built from variables, a header value, a name from a file) printed where people read
// it — the CLI's → line, a confirmation question, the log — must not carry control characters: a CR/LF in a URL
// variable could otherwise print a forged line such as "as the service user". One place escapes them.

/** C0 and C1 controls, DEL, line and paragraph separators, and bidirectional overrides and isolates. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** Text with control characters shown as escapes (\r, \n, \t, \u0007): nothing in it can start a line or reorder one. */
export function escapeControls(text: string): string {
  return text.replace(CONTROL, (c) => {
    if (c === '\r') return '\\r';
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/** A URL for display, its control characters percent-encoded (%0D%0A), the way a URL escapes what it cannot hold. */
export function urlForDisplay(url: string): string {
  return url.replace(CONTROL, (c) => encodeURIComponent(c));
}
