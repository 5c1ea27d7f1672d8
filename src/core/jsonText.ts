// Positions and syntax messages for JSON-with-comments files (connections, environments), on jsonc-parser.

import { ParseErrorCode, type ParseError } from 'jsonc-parser';
import type { SourcePosition } from './model';

/** Offsets → 1-based line:column (columns in UTF-16 code units, as editors count them). */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(
    text: string,
    private readonly file: string,
  ) {
    for (let i = 0; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      if (ch === 13 /* \r */) {
        if (text.charCodeAt(i + 1) === 10) i++;
        this.starts.push(i + 1);
      } else if (ch === 10 /* \n */) {
        this.starts.push(i + 1);
      }
    }
  }

  at(offset: number): SourcePosition {
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.starts[mid] <= offset) low = mid;
      else high = mid - 1;
    }
    return { file: this.file, line: low + 1, column: Math.max(0, offset - this.starts[low]) + 1 };
  }
}

/** A jsonc-parser error as a sentence that says what was expected. */
export function jsonSyntaxMessage(error: ParseError, text: string): string {
  switch (error.error) {
    case ParseErrorCode.InvalidSymbol: {
      const ch = text.charAt(error.offset);
      if (ch === "'") return "unexpected ' — strings and property names need double quotes";
      if (/[A-Za-z_]/.test(ch)) return 'unexpected word — strings and property names need double quotes; true, false and null are lower-case';
      if (/[!-~]/.test(ch)) return `unexpected "${ch}"`;
      return `unexpected character U+${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
    }
    case ParseErrorCode.InvalidNumberFormat:
      return 'invalid number';
    case ParseErrorCode.PropertyNameExpected:
      return 'expected a property name in double quotes';
    case ParseErrorCode.ValueExpected:
      return 'expected a value (a string, number, object, array, true, false or null)';
    case ParseErrorCode.ColonExpected:
      return 'expected ":" after the property name';
    case ParseErrorCode.CommaExpected:
      return 'expected "," between entries';
    case ParseErrorCode.CloseBraceExpected:
      return 'expected "}" to close the object (or a "," before the next property)';
    case ParseErrorCode.CloseBracketExpected:
      return 'expected "]" to close the array (or a "," before the next item)';
    case ParseErrorCode.EndOfFileExpected:
      return 'expected the end of the file after the top-level value';
    case ParseErrorCode.InvalidCommentToken:
      return 'invalid comment';
    case ParseErrorCode.UnexpectedEndOfComment:
      return 'the comment is not closed (missing "*/")';
    case ParseErrorCode.UnexpectedEndOfString:
      return "the string is not closed (missing '\"')";
    case ParseErrorCode.UnexpectedEndOfNumber:
      return 'the number is incomplete';
    case ParseErrorCode.InvalidUnicode:
      return 'invalid unicode escape (expected \\u followed by 4 hex digits)';
    case ParseErrorCode.InvalidEscapeCharacter:
      return 'invalid escape in string (write \\\\ for a backslash)';
    case ParseErrorCode.InvalidCharacter:
      return 'invalid character in string (control characters such as tab or newline must be escaped, e.g. \\n)';
    default:
      return 'invalid JSON';
  }
}
