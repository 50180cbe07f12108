import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { COMMAND_TYPES } from '../../machines/plan/commands.js';
import { InspectorError } from '../runtime/errors.js';
import type { Command, Orchestrator } from '../runtime/orchestrator.js';
import { assetAt } from './assets.js';
import { toExternalEntry } from './external.js';
import { encodeFeedMessage, InspectorFeed } from './feed.js';
import { allowedHosts, bearerToken, newToken, originAllowed, tokenMatches } from './security.js';

export interface InspectorOptions {
  /** Port to listen on; 0 picks a free one. Integer, 0 to 65,535. Default 0. */
  port?: number;
  /**
   * Interface to listen on. Default `127.0.0.1`. Any address that is not loopback also needs
   * `allowRemote: true`, and prints a warning: anyone who can reach it and has the token can steer
   * the plan.
   */
  host?: string;
  /** Allows a `host` that is not loopback. Default false. */
  allowRemote?: boolean;
  /** Largest command body accepted, in bytes. Integer, 256 to 1,048,576. Default 16,384. */
  maxBodyBytes?: number;
  /** Largest WebSocket message accepted, in bytes. Integer, 1,024 to 16,777,216. Default 1,048,576. */
  maxMessageBytes?: number;
  /**
   * WebSocket clients connected at once (pages and `@statelyai/inspect` apps together). One more
   * is closed at once with code 1013 and a reason saying so. Integer, 1 to 1,024. Default 32.
   */
  maxClients?: number;
  /** Receives the warning printed for a remote host. Default: written to stderr. */
  onWarning?: (message: string) => void;
}

export interface Inspector {
  /** The page's address with the token in its fragment: open this one. */
  readonly url: string;
  /** `http://host:port`, without the token. */
  readonly origin: string;
  readonly port: number;
  /** Required by every command and WebSocket; compared in constant time. */
  readonly token: string;
  /** Resolves once the server stopped: after the plan ended, or `close()`. */
  readonly closed: Promise<void>;
  /** Stops the server and disconnects every page. */
  close(): Promise<void>;
}

/** Commands a page may send, named when it sends `ADD_JOB` (which needs job functions). */
const PAGE_COMMANDS = new Set([...COMMAND_TYPES].filter((type) => type !== 'ADD_JOB'));

/** WebSocket clients served at once unless `maxClients` says otherwise. */
const DEFAULT_MAX_CLIENTS = 32;

/** WebSocket close code "try again later": the server is at its limit of clients. */
const CLOSE_TOO_MANY_CLIENTS = 1013;

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
};

function integerOption(
  name: string,
  value: number | undefined,
  min: number,
  max: number,
  fallback: number,
) {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InspectorError(
      'INSPECTOR_OPTION',
      `Inspector option ${name} must be an integer from ${min} to ${max}; got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

/** Reads a request body up to `limit` bytes; null when it is longer. */
function readBody(request: IncomingMessage, limit: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length']);
    if (declared > limit) {
      resolve(null);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Stop keeping it, but let it drain, so that the 413 reaches the sender.
        request.removeAllListeners('data');
        request.resume();
        resolve(null);
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/**
 * Serves the live inspector of a plan on a local port: the page, its live feed over a WebSocket,
 * and the commands its buttons send. The server stops by itself when the plan ends.
 */
export async function startInspector(
  orchestrator: Orchestrator,
  options: InspectorOptions = {},
): Promise<Inspector> {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK.test(host)) {
    if (!options.allowRemote) {
      throw new InspectorError(
        'INSPECTOR_REMOTE',
        `Inspector host ${JSON.stringify(host)} is not loopback; pass allowRemote: true (on the command line: --inspect-allow-remote) to listen there anyway`,
      );
    }
    (options.onWarning ?? ((message) => process.stderr.write(`${message}\n`)))(
      `warning: the inspector listens on ${host}: anyone who can reach it and has the token can approve, retry, skip and cancel jobs`,
    );
  }
  const port = integerOption('port', options.port, 0, 65_535, 0);
  const maxBodyBytes = integerOption('maxBodyBytes', options.maxBodyBytes, 256, 1_048_576, 16_384);
  const maxMessageBytes = integerOption(
    'maxMessageBytes',
    options.maxMessageBytes,
    1024,
    16_777_216,
    1_048_576,
  );
  const maxClients = integerOption('maxClients', options.maxClients, 1, 1024, DEFAULT_MAX_CLIENTS);
  const token = newToken();
  let hosts: ReadonlySet<string> = new Set();

  /** Host and Origin decide before anything else is looked at. */
  const refusal = (request: IncomingMessage): string | null => {
    if (!hosts.has(request.headers.host ?? '')) {
      return `Host ${JSON.stringify(request.headers.host ?? '')} is not this inspector; open ${[...hosts][0]}`;
    }
    if (!originAllowed(request.headers.origin, hosts)) {
      return `Origin ${JSON.stringify(request.headers.origin)} may not use this inspector`;
    }
    return null;
  };

  const handleCommand = async (request: IncomingMessage, response: ServerResponse) => {
    if (!tokenMatches(bearerToken(request.headers.authorization), token)) {
      reply(response, 401, { accepted: false, reason: 'missing or wrong token' });
      return;
    }
    if (!/^application\/json\b/i.test(request.headers['content-type'] ?? '')) {
      reply(response, 415, { accepted: false, reason: 'send the command as application/json' });
      return;
    }
    const body = await readBody(request, maxBodyBytes);
    if (body === null) {
      response.setHeader('connection', 'close');
      reply(response, 413, {
        accepted: false,
        reason: `command body is larger than ${maxBodyBytes} bytes`,
      });
      return;
    }
    let command: Command;
    try {
      command = JSON.parse(body);
    } catch {
      reply(response, 400, { accepted: false, reason: 'command body is not JSON' });
      return;
    }
    // Every other command, known or not, is answered (and recorded) by the orchestrator itself.
    if ((command as { type?: unknown })?.type === 'ADD_JOB') {
      reply(response, 400, {
        accepted: false,
        reason: `ADD_JOB needs job functions, which a page cannot send; use one of ${[...PAGE_COMMANDS].join(', ')}`,
      });
      return;
    }
    const result = orchestrator.send(command);
    reply(response, result.accepted ? 200 : 409, result);
  };

  const server = createServer((request, response) => {
    const refused = refusal(request);
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
  });

  const feed = new InspectorFeed(orchestrator);
  const pages = new Set<WebSocket>();
  const sockets = new WebSocketServer({ noServer: true, maxPayload: maxMessageBytes });
  let clients = 0;
  feed.subscribe((message) => {
    const text = encodeFeedMessage(message);
    for (const page of pages) page.send(text);
  });

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(request.url ?? '/', 'http://inspector');
    const refused =
      refusal(request) ??
      (tokenMatches(url.searchParams.get('token'), token) ? null : 'missing or wrong token') ??
      (url.pathname === '/live' || url.pathname === '/inspect'
        ? null
        : `no WebSocket at ${url.pathname}`);
    if (refused) {
      socket.end(`HTTP/1.1 403 Forbidden\r\nconnection: close\r\n\r\n${refused}`);
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => {
      // A message over the size limit closes the socket (1009); nothing else is to be done.
      ws.on('error', () => ws.terminate());
      // Completed, then closed with a reason: a browser shows a close reason, not a refused upgrade.
      if (clients >= maxClients) {
        ws.close(
          CLOSE_TOO_MANY_CLIENTS,
          `the inspector serves at most ${maxClients} WebSocket clients at once; close one and try again`,
        );
        return;
      }
      clients++;
      ws.once('close', () => clients--);
      if (url.pathname === '/live') openPage(ws);
      else openExternal(ws);
    });
  });

  const openPage = (ws: WebSocket) => {
    pages.add(ws);
    ws.on('close', () => pages.delete(ws));
    ws.send(encodeFeedMessage(feed.hello()));
  };

  /** An XState app's `@statelyai/inspect` traffic, passed on to the pages. */
  const openExternal = (ws: WebSocket) => {
    ws.on('message', (data) => {
      const entry = toExternalEntry(String(data));
      if ('problem' in entry) {
        ws.send(JSON.stringify({ type: 'refused', reason: entry.problem }));
        return;
      }
      const text = JSON.stringify({ type: 'external', entry });
      for (const page of pages) page.send(text);
    });
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) =>
      reject(
        new InspectorError(
          'INSPECTOR_LISTEN',
          `The inspector could not listen on ${host}:${port}: ${error.message}; choose another port (0 picks a free one)`,
          { cause: error },
        ),
      ),
    );
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as { port: number }).port;
  hosts = allowedHosts(host, bound);
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;

  const closed = new Promise<void>((resolve) => server.once('close', () => resolve()));
  let stopping = false;
  const close = () => {
    if (!stopping) {
      stopping = true;
      feed.stop();
      for (const ws of sockets.clients) ws.close(1000, 'inspector stopped');
      sockets.close();
      server.close();
      server.closeAllConnections();
    }
    return closed;
  };
  // The last update and the `ended` message reach the pages before the server goes.
  feed.ended.then(close);

  return { url: `${origin}/#token=${token}`, origin, port: bound, token, closed, close };
}
