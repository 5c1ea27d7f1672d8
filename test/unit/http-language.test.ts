// The `http` language's contributions: package.json points at files that exist, parse and are packed, and the
// TextMate grammar's rules recognise the lines of a .http file (its regexes also run as JavaScript regexes).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

interface Rule {
  match?: string;
  include?: string;
  name?: string;
  captures?: Record<string, { name?: string; patterns?: Rule[] }>;
}
interface Grammar {
  scopeName: string;
  patterns: Rule[];
  repository: Record<string, Rule>;
}

const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  contributes: { languages: Array<{ id: string; configuration?: string }>; grammars?: Array<{ language: string; scopeName: string; path: string }> };
};
const language = manifest.contributes.languages.find((l) => l.id === 'http')!;
const grammarEntry = manifest.contributes.grammars?.find((g) => g.language === 'http');

function readJson<T>(relative: string): T {
  return JSON.parse(readFileSync(path.join(ROOT, relative), 'utf8')) as T;
}

/** The first top-level rule (by repository name) whose regex matches the whole line, as the grammar orders them. */
function ruleFor(grammar: Grammar, line: string): string | undefined {
  for (const p of grammar.patterns) {
    const key = p.include!.slice(1);
    const rule = grammar.repository[key];
    if (new RegExp(rule.match!).test(line)) return key;
  }
  return undefined;
}

describe('the http language contribution', () => {
  it('has a language configuration with # line comments, brackets and auto-closing pairs', () => {
    assert.ok(language.configuration, 'contributes.languages[http].configuration');
    assert.ok(existsSync(path.join(ROOT, language.configuration)), language.configuration);
    const config = readJson<{
      comments: { lineComment: string };
      brackets: string[][];
      autoClosingPairs: Array<{ open: string; close: string }>;
      surroundingPairs: string[][];
    }>(language.configuration);
    assert.equal(config.comments.lineComment, '#');
    assert.deepEqual(config.brackets[0], ['{', '}']);
    assert.ok(
      config.autoClosingPairs.some((p) => p.open === '{' && p.close === '}'),
      '{ closes, so {{ becomes {{}}',
    );
    assert.ok(config.surroundingPairs.length > 0);
  });

  it('has a TextMate grammar that parses and whose regexes compile', () => {
    assert.ok(grammarEntry, 'contributes.grammars for http');
    const grammar = readJson<Grammar>(grammarEntry.path);
    assert.equal(grammar.scopeName, grammarEntry.scopeName);
    const rules: Rule[] = [...Object.values(grammar.repository)];
    for (const rule of rules) {
      if (rule.match) assert.doesNotThrow(() => new RegExp(rule.match!), rule.match);
      for (const capture of Object.values(rule.captures ?? {})) {
        for (const inner of capture.patterns ?? []) assert.ok(!inner.include || grammar.repository[inner.include.slice(1)], inner.include);
      }
    }
    for (const p of grammar.patterns) assert.ok(grammar.repository[p.include!.slice(1)], p.include);
  });

  it('recognises separators, directives, comments, variables, request lines, headers and body files', () => {
    const grammar = readJson<Grammar>(grammarEntry!.path);
    const cases: Array<[string, string | undefined]> = [
      ['### deals as Jane', 'separator'],
      ['# @name deals', 'directive'],
      ['# @as jane', 'directive'],
      ['// @mode full', 'directive'],
      ['# @connection dc-sandbox', 'directive'],
      ['# just a comment', 'comment'],
      ['// another comment', 'comment'],
      ['@entryType = Deals', 'fileVariable'],
      ['GET {{baseUrl}}/api/rest/v4/data/entrydata/rows/{{entryType}}', 'requestLine'],
      ['POST https://example.test/x HTTP/1.1', 'requestLine'],
      ['Content-Type: application/json', 'header'],
      ['Authorization: Bearer {{token}}', 'header'],
      ['< ./body.json', 'bodyFile'],
      ['<@latin1 ./body.txt', 'bodyFile'],
      ['  "name": "Jane"', undefined],
      ['<root>', undefined],
    ];
    for (const [line, expected] of cases) assert.equal(ruleFor(grammar, line), expected, line);
    const variable = new RegExp(grammar.repository.variable.match!, 'g');
    assert.deepEqual(
      [...'x {{ a }} y {{$guid}}'.matchAll(variable)].map((m) => m[2]),
      ['a', '$guid'],
    );
  });

  it('packs both files (.vscodeignore lists what goes into the .vsix)', () => {
    const allowed = readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('!'))
      .map((l) => l.slice(1).trim());
    const toRegExp = (glob: string) =>
      new RegExp(
        `^${glob
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*\*\//g, '(?:.*/)?')
          .replace(/\*/g, '[^/]*')}$`,
      );
    for (const file of [language.configuration!, grammarEntry!.path].map((f) => f.replace(/^\.\//, ''))) {
      assert.ok(
        allowed.some((glob) => toRegExp(glob).test(file)),
        `${file} is allowed in .vscodeignore`,
      );
    }
  });
});
