// Routing inside a double: `{name}` path patterns as in the vendors' docs, 404 for unknown paths and 405
// for wrong methods.

import { type Reply, messageReply, notFound } from './replies';
import { type SandboxRequest, safeDecode } from './requests';

export type RouteParams = Record<string, string>;

export interface Route {
  /** HTTP method, or '*' for any. */
  method: string;
  /** Path under the vendor prefix; `{name}` segments are parameters, as in the vendors' docs. */
  path: string;
  handle(req: SandboxRequest, params: RouteParams): Reply | Promise<Reply>;
}

/** Dispatches to the first route matching method and path: 404 for unknown paths, 405 for wrong methods. */
export function createRouter(routes: Route[], options: { caseInsensitive?: boolean } = {}) {
  const fold = (s: string) => (options.caseInsensitive ? s.toLowerCase() : s);
  const compiled = routes.map((route) => ({ route, pattern: pathSegments(route.path).map(fold) }));
  return (req: SandboxRequest): Reply | Promise<Reply> => {
    const segments = pathSegments(req.path).map(safeDecode);
    let pathKnown = false;
    for (const { route, pattern } of compiled) {
      const params = matchSegments(pattern, segments, fold);
      if (!params) continue;
      pathKnown = true;
      if (route.method === '*' || route.method === req.method) return route.handle(req, params);
    }
    return pathKnown ? messageReply(405, 'Method not allowed') : notFound();
  };
}

function pathSegments(path: string): string[] {
  return path.split('/').filter((segment) => segment !== '');
}

function matchSegments(pattern: string[], segments: string[], fold: (s: string) => string): RouteParams | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: RouteParams = {};
  for (let i = 0; i < pattern.length; i++) {
    const param = /^\{(\w+)\}$/.exec(pattern[i]);
    if (param) params[param[1]] = segments[i];
    else if (pattern[i] !== fold(segments[i])) return undefined;
  }
  return params;
}
