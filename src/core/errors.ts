import type { SourcePosition } from './model';

/**
 * The one error type Behalf raises on purpose. `message` is a sentence a user can act on and never
 * holds a secret; `code` lets callers branch without parsing text.
 */
export class BehalfError extends Error {
  readonly code: string;
  readonly position?: SourcePosition;
  readonly hint?: string;

  constructor(code: string, message: string, options: { position?: SourcePosition; hint?: string; cause?: unknown } = {}) {
    super(message);
    this.name = 'BehalfError';
    this.code = code;
    this.position = options.position;
    this.hint = options.hint;
    if (options.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }

  /** "file:line:column: message" when there is a position, for terminals and problem matchers. */
  describe(): string {
    const where = this.position ? `${this.position.file}:${this.position.line}:${this.position.column}: ` : '';
    return `${where}${this.message}${this.hint ? ` — ${this.hint}` : ''}`;
  }
}

export function isBehalfError(e: unknown): e is BehalfError {
  return e instanceof BehalfError;
}
