// JUnit XML, the report GitHub Actions, GitLab, Jenkins and Azure DevOps read: one <testcase> per matrix cell or
// sent request, a <failure> per unmet expectation or assertion. A small writer rather than an XML library: the
// format is five elements, and every text goes through one escape (markup, quotes and the control characters
// XML 1.0 cannot carry at all) and through the caller's redactor.

export interface JUnitFailure {
  /** One line: `expected denied, got allowed (200)`. */
  message: string;
  /** What failed: `expectation`, `assertion`. */
  type: string;
  /** The detail: where it came from (`file.http:3:11`) and the line as written. */
  text?: string;
}

export interface JUnitCase {
  /** `<request> as <identity>`. */
  name: string;
  /** The group CI shows it under: the .http file. */
  classname: string;
  timeSeconds?: number;
  failures: JUnitFailure[];
  /** No answer (a network error, a 5xx, a refusal before sending). */
  error?: { message: string; text?: string };
  /** Not run, and why. */
  skipped?: string;
}

export interface JUnitSuite {
  name: string;
  cases: JUnitCase[];
  timestamp?: Date;
}

/** XML 1.0 cannot hold these even as character references: shown as `\u0007` instead. */
// eslint-disable-next-line no-control-regex
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Text safe in an XML attribute or element: markup and quotes escaped, characters XML cannot carry spelled out. */
export function xmlText(text: string): string {
  return text
    .replace(NOT_XML, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');
}

/** The report: every string passes through `redact` first (secrets and tokens never reach the file). */
export function junitXml(suite: JUnitSuite, redact: (text: string) => string): string {
  const t = (text: string) => xmlText(redact(text));
  // Newlines stay newlines in element text; in attributes they would be normalised to spaces, so they are escaped.
  const a = (text: string) => t(text).replace(/\n/g, '&#10;');
  const count = (test: (c: JUnitCase) => boolean) => suite.cases.filter(test).length;
  const failures = count((c) => c.failures.length > 0 && !c.error);
  const errors = count((c) => !!c.error);
  const skipped = count((c) => c.skipped !== undefined);
  const time = suite.cases.reduce((sum, c) => sum + (c.timeSeconds ?? 0), 0);
  const stamp = (suite.timestamp ?? new Date()).toISOString().replace(/\.\d+Z$/, '');
  const totals = `tests="${suite.cases.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${time.toFixed(3)}"`;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${a(suite.name)}" ${totals}>`,
    `  <testsuite name="${a(suite.name)}" ${totals} timestamp="${stamp}">`,
  ];
  for (const c of suite.cases) {
    const open = `    <testcase name="${a(c.name)}" classname="${a(c.classname)}" time="${(c.timeSeconds ?? 0).toFixed(3)}"`;
    const children: string[] = [];
    if (c.skipped !== undefined) children.push(`      <skipped message="${a(c.skipped)}"/>`);
    if (c.error) children.push(`      <error message="${a(c.error.message)}">${t(c.error.text ?? c.error.message)}</error>`);
    for (const f of c.failures) children.push(`      <failure message="${a(f.message)}" type="${a(f.type)}">${t(f.text ?? f.message)}</failure>`);
    lines.push(children.length ? `${open}>\n${children.join('\n')}\n    </testcase>` : `${open}/>`);
  }
  lines.push('  </testsuite>', '</testsuites>', '');
  return lines.join('\n');
}
