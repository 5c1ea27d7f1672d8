// What send and matrix share about verdicts: judging a response's `??` assertions, wording an unmet one with its
// file:line:column, and writing the --junit report (redacted).

// fs.promises, not node:fs/promises: its getter loads the module when a file is written, not at start-up.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { BehalfEngine } from '../core/engine';
import { BehalfError } from '../core/errors';
import type { Verdict } from '../core/expectations';
import type { HttpFileRequest, ParsedHttpFile } from '../core/http/parser';
import { resolveString, type VariableContext } from '../core/http/variables';
import { judgeAssertion } from '../core/judge';
import { junitXml, type JUnitCase, type JUnitFailure } from '../core/junit';
import type { ResponseRecord } from '../core/model';
import { escapeControls } from '../core/printable';
import type { Io } from './io';

/** The request's `??` assertions judged against its response; `{{variables}}` in expected values resolve like the request's. */
export function judgeAssertions(parsed: ParsedHttpFile, request: HttpFileRequest, record: ResponseRecord, context: VariableContext): Verdict[] {
  return request.assertions.map((assertion) => {
    try {
      return judgeAssertion(assertion, record, (text) =>
        resolveString(parsed, request, text, context, { file: parsed.file, line: assertion.line, column: assertion.column }),
      );
    } catch (e) {
      // An expected value whose variable does not resolve: the assertion fails, saying why.
      const why = e instanceof Error ? e.message : String(e);
      return {
        source: { line: assertion.line, column: assertion.column, text: assertion.text },
        met: false,
        expected: assertion.text.replace(/^\?\?\s*/, ''),
        actual: `not judged: ${why}`,
      };
    }
  });
}

/** `file.http:12:1` for a verdict's line, the file relative to the working folder. */
export function verdictPlace(file: string, verdict: Verdict, io: Io): string {
  return `${path.relative(io.cwd, file) || file}:${verdict.source.line}:${verdict.source.column}`;
}

/** One line per unmet verdict: `file.http:12:1: deals as raj: expected denied, got allowed (200)`. */
export function unmetLine(file: string, what: string, verdict: Verdict, io: Io, engine: BehalfEngine): string {
  return escapeControls(engine.redactor.text(`${verdictPlace(file, verdict, io)}: ${what}: expected ${verdict.expected}, got ${verdict.actual}`));
}

/** JUnit failures for the unmet verdicts. */
export function junitFailures(file: string, verdicts: Verdict[], type: 'expectation' | 'assertion', io: Io): JUnitFailure[] {
  return verdicts
    .filter((v) => !v.met)
    .map((v) => ({ message: `expected ${v.expected}, got ${v.actual}`, type, text: `${verdictPlace(file, v, io)}: ${v.source.text}` }));
}

/** Write the --junit report; every text is redacted. Fails with a BehalfError that names the file. */
export async function writeJunit(given: string, suite: string, cases: JUnitCase[], engine: BehalfEngine, io: Io): Promise<void> {
  const file = path.resolve(io.cwd, given);
  try {
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(
      file,
      junitXml({ name: suite, cases }, (text) => engine.redactor.text(text)),
    );
  } catch (e) {
    throw new BehalfError('junit', `Cannot write the JUnit report ${given}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`, {
      hint: 'pass --junit a file in a folder you can write to',
    });
  }
}
