// What the text before the cursor in a .http file asks to complete (the editor's completion provider lists
// the candidates): an annotation's value after `# @as `, `# @connection `, `# @mode ` (or `//`), or a variable
// name inside an unclosed `{{`.

export type HttpCompletionContext = { kind: 'annotation'; key: 'as' | 'connection' | 'mode'; typed: string } | { kind: 'variable'; typed: string } | undefined;

/** `before` is the cursor's line up to the cursor; `typed` is the text the completion replaces. */
export function httpCompletionContext(before: string): HttpCompletionContext {
  const annotation = /^\s*(?:#|\/\/)\s*@(as|connection|mode)\s+(\S*)$/.exec(before);
  if (annotation) return { kind: 'annotation', key: annotation[1] as 'as' | 'connection' | 'mode', typed: annotation[2] };
  const open = before.lastIndexOf('{{');
  if (open < 0 || before.includes('}}', open)) return undefined;
  const typed = before.slice(open + 2).trimStart();
  // A name, or `$dotenv NAME` / `$processEnv NAME` on its way.
  if (/^\S*$/.test(typed) || /^\$(dotenv|processEnv)\s+\S*$/.test(typed)) return { kind: 'variable', typed };
  return undefined;
}
