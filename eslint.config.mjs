// ESLint 9 flat config: typescript-eslint with type information for the rules that catch real bugs in async
// and union-heavy code, plus the recommended sets. Formatting is Prettier's job (eslint-config-prettier turns
// off the rules that would fight it); the layering rules are dependency-cruiser's (.dependency-cruiser.cjs).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['node_modules/', 'dist/', 'out/', 'bench/.build/', 'test-results/', 'test/fixtures/**/out/', '.behalf-sandbox/', 'demo/workspace/'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // The ones the house asks for by name.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-import-type-side-effects': 'error',
      // Unused names are tsc's job (noUnusedLocals); parameters named _x are deliberate.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // `${n}` with a number or boolean is the point of a template; objects still are not.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true, allowNullish: true }],
      // Async functions without await implement async interfaces (ConnectionAdapter, Prompt): the promise is the contract.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Tests read JSON.parse results and playwright-core (loaded from the tools folder, untyped) as `any` and
    // assert on them: the assertion is the check, so the no-unsafe-* rules would flag every line and find nothing.
    // They stay errors in src/ and media/, where values from outside must be checked before use.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // JSON read back from files and processes (bench results, schemas, --json output) has no static type.
      '@typescript-eslint/no-explicit-any': 'off',
      // The webview suites install a fake 'vscode' before loading a panel: `typeof import(...)` names a module's
      // types without loading it early.
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      // playwright-core comes untyped from the tools folder, so `Page | undefined` is `any | undefined` there.
      '@typescript-eslint/no-redundant-type-constituents': 'off',
      // assert.ok(x) narrows nothing for later lines; `x!` after it is how the suites say "asserted above".
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Fakes and spies are taken off objects on purpose (sinon-style) to be called or compared.
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // Build and bench scripts: plain ES modules on Node, no type information.
    files: ['**/*.mjs', '**/*.cjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { ...globals.node }, sourceType: 'module' },
  },
  {
    files: ['**/*.cjs', 'test/fixtures/**/*.js'],
    languageOptions: { globals: { ...globals.node }, sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  prettier,
);
