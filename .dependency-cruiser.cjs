// The architecture rules of docs/design (layers point down only), checked by `npm run arch` in CI.
// Type-only imports count: a type is a dependency as much as a value is.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'No import cycle anywhere: give shared types and helpers a module of their own.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-is-editor-free',
      severity: 'error',
      comment: 'src/core is pure TypeScript: it never imports vscode.',
      from: { path: '^src/core/' },
      to: { path: '^vscode$' },
    },
    {
      name: 'core-knows-no-host-or-vendor',
      severity: 'error',
      comment: 'src/core never names a vendor, a host or the sandbox: they depend on it, not the other way round.',
      from: { path: '^src/core/' },
      to: { path: '^src/(vendors|extension|cli|sandbox)/' },
    },
    {
      name: 'vscode-only-in-the-extension',
      severity: 'error',
      comment: 'Only src/extension (and its tests) may import vscode.',
      from: { path: '^src/', pathNot: '^src/extension/' },
      to: { path: '^vscode$' },
    },
    {
      name: 'vendors-are-host-free',
      severity: 'error',
      comment: 'Vendor adapters serve every host: they never import the extension or the CLI.',
      from: { path: '^src/vendors/' },
      to: { path: '^src/(extension|cli)/' },
    },
    {
      name: 'one-vendor-one-file',
      severity: 'error',
      comment:
        "A vendor's quirks live in its own files (<vendor>.ts, and <vendor>Setup.ts: what only the wizards and the schema build read): they import no other vendor's (index.ts and setup.ts list them all).",
      from: { path: '^src/vendors/([^/]+?)(Setup)?\\.ts$', pathNot: '^src/vendors/(index|setup)\\.ts$' },
      to: { path: '^src/vendors/', pathNot: '^src/vendors/$1\\.ts$' },
    },
    {
      name: 'protocol-is-shared-types',
      severity: 'error',
      comment:
        'src/protocol is shared by hosts and pages: it imports itself, and only the types of src/core (the views are made of core results), so a page never bundles core code through it.',
      from: { path: '^src/protocol/' },
      to: { path: '^(src|media)/', pathNot: '^src/protocol/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'protocol-types-from-core-only',
      severity: 'error',
      comment: 'What src/protocol takes from outside itself is core types, nothing else.',
      from: { path: '^src/protocol/' },
      to: { path: '^(src|media)/', pathNot: ['^src/protocol/', '^src/core/'] },
    },
    {
      name: 'webviews-see-only-the-protocol',
      severity: 'error',
      comment: 'media/ (webview pages) imports only src/protocol, media/shared and its own folder.',
      from: { path: '^media/([^/]+)/' },
      to: { path: '^(src|media)/', pathNot: ['^src/protocol/', '^media/shared/', '^media/$1/'] },
    },
    {
      name: 'webviews-no-node-or-packages',
      severity: 'error',
      comment: 'Webview pages run in a browser: no Node built-ins, no vscode.',
      from: { path: '^media/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that does not resolve is a broken build.',
      from: {},
      to: { couldNotResolve: true, pathNot: '^vscode$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['(^|/)(node_modules|dist|out)/', '^bench/\\.build/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
