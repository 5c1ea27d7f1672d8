// The proxy agents (http-proxy-agent, https-proxy-agent and their agent-base, ~12 KB minified), a module of its
// own: transport.ts requires it on the first request through a proxy, and the bundles carry it as a file of its
// own (dist/proxyAgents.js, see scripts/build.mjs), so a run without a proxy never reads it.
export { HttpProxyAgent } from 'http-proxy-agent';
export { HttpsProxyAgent } from 'https-proxy-agent';
