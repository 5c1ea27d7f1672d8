// An esbuild plugin that keeps axios's optional Node dependencies out of our bundles. Behalf never sends
// multipart FormData objects, follows redirects itself (maxRedirects: 0, so axios uses plain http/https),
// and sets `proxy: false`; these modules (and mime-db, half of an axios bundle) are dead weight for us.
const STUBS = {
  'form-data': 'module.exports = globalThis.FormData;',
  'follow-redirects': "module.exports = { http: require('node:http'), https: require('node:https') };",
  'proxy-from-env': "module.exports = { getProxyForUrl: () => '' };",
  'https-proxy-agent': "module.exports = class HttpsProxyAgent { constructor() { throw new Error('proxies are not supported by this build'); } };",
};

export const leanAxios = {
  name: 'lean-axios',
  setup(build) {
    const filter = new RegExp(`^(${Object.keys(STUBS).join('|')})$`);
    build.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'lean-stub' }));
    build.onLoad({ filter: /.*/, namespace: 'lean-stub' }, (args) => ({ contents: STUBS[args.path], loader: 'js' }));
  },
};
