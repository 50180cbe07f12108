import type { IncomingMessage, ServerResponse } from 'node:http';
import { assetAt } from './assets.js';
import { reply, SECURITY_HEADERS } from './http.js';
import { originAllowed } from './security.js';

/** Host and Origin decide before anything else is looked at; the reason a request is refused. */
export function refusalOf(request: IncomingMessage, hosts: ReadonlySet<string>): string | null {
  if (!hosts.has(request.headers.host ?? '')) {
    return `Host ${JSON.stringify(request.headers.host ?? '')} is not this inspector; open ${[...hosts][0]}`;
  }
  if (!originAllowed(request.headers.origin, hosts)) {
    return `Origin ${JSON.stringify(request.headers.origin)} may not use this inspector`;
  }
  return null;
}

/** The HTTP side: the command endpoint, the jobs' logs and the page's files. */
export function routeRequests(
  hosts: () => ReadonlySet<string>,
  handleCommand: (request: IncomingMessage, response: ServerResponse) => Promise<void>,
  handleLogs: (request: IncomingMessage, response: ServerResponse, jobId: string) => Promise<void>,
): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    const refused = refusalOf(request, hosts());
    if (refused) {
      reply(response, 403, { error: refused });
      return;
    }
    const path = new URL(request.url ?? '/', 'http://inspector').pathname;
    if (path === '/api/command') {
      if (request.method !== 'POST') {
        reply(response, 405, { error: 'POST a command here' });
        return;
      }
      handleCommand(request, response).catch(() => response.destroy());
      return;
    }
    const logOf = /^\/api\/logs\/([^/]+)$/.exec(path);
    if (logOf && (request.method === 'GET' || request.method === 'HEAD')) {
      handleLogs(request, response, decodeURIComponent(logOf[1]!)).catch(() => response.destroy());
      return;
    }
    const asset = assetAt(path);
    if (!asset || (request.method !== 'GET' && request.method !== 'HEAD')) {
      reply(response, 404, { error: `nothing at ${request.method} ${path}` });
      return;
    }
    asset.body().then(
      (body) => {
        response.writeHead(200, {
          ...SECURITY_HEADERS,
          'content-type': asset.type,
          'content-length': body.length,
        });
        response.end(request.method === 'HEAD' ? undefined : body);
      },
      () => reply(response, 500, { error: `could not read ${path}` }),
    );
  };
}
