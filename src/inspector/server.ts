import { createServer, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { rangeProblem } from '../plan/range.js';
import type { Orchestrator } from '../runtime/orchestrator.js';
import { InspectorError } from '../shared/errors.js';
import { commandHandler } from './commands.js';
import { InspectorFeed } from './feed.js';
import { WebSocketHub } from './hub.js';
import { type JobLogReader, logsHandler } from './logs.js';
import { routeRequests } from './routes.js';
import { allowedHosts, newToken } from './security.js';

/** Where the live inspector listens, and how much it accepts. A bad value throws `InspectorError`. */
export interface InspectorOptions {
  /**
   * Port to listen on; 0 picks a free one.
   *
   * Integer, 0 to 65,535.
   *
   * @default 0
   */
  port?: number;
  /**
   * Interface to listen on. Any address that is not loopback also needs `allowRemote: true`, and
   * prints a warning: anyone who can reach it and has the token can steer the plan.
   *
   * @default '127.0.0.1'
   */
  host?: string;
  /**
   * Allows a `host` that is not loopback.
   *
   * @default false
   */
  allowRemote?: boolean;
  /**
   * Largest command body accepted, in bytes.
   *
   * Integer, 256 to 1,048,576.
   *
   * @default 16384
   */
  maxBodyBytes?: number;
  /**
   * Largest WebSocket message accepted, in bytes.
   *
   * Integer, 1,024 to 16,777,216.
   *
   * @default 1048576
   */
  maxMessageBytes?: number;
  /**
   * WebSocket clients connected at once (pages and `@statelyai/inspect` apps together). One more
   * is closed at once with code 1013 and a reason saying so.
   *
   * Integer, 1 to 1,024.
   *
   * @default 32
   */
  maxClients?: number;
  /**
   * Where the page reads each job's output (its last lines, and the whole log behind a link).
   *
   * @default none: the page says that no logs are kept
   */
  logs?: JobLogReader;
  /**
   * Receives the warning printed for a remote host.
   *
   * @default a line on `process.stderr`
   */
  onWarning?: (message: string) => void;
}

/** A running live inspector. */
export interface Inspector {
  /** The page's address with the token in its fragment: open this one. */
  readonly url: string;
  /** `http://host:port`, without the token. */
  readonly origin: string;
  /** The port it listens on (the one picked, for `port: 0`). */
  readonly port: number;
  /** Required by every command and WebSocket; compared in constant time. */
  readonly token: string;
  /** Resolves once the server stopped: after the plan ended, or `close()`. */
  readonly closed: Promise<void>;
  /** Stops the server and disconnects every page. */
  close(): Promise<void>;
}

/** WebSocket clients served at once unless `maxClients` says otherwise. */
const DEFAULT_MAX_CLIENTS = 32;

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

function integerOption(
  name: string,
  value: number | undefined,
  min: number,
  max: number,
  fallback: number,
) {
  if (value === undefined) return fallback;
  const problem = rangeProblem(`Inspector option ${name}`, value, { integer: true, min, max });
  if (problem) throw new InspectorError('INSPECTOR_OPTION', problem);
  return value;
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

  const server = createServer(
    routeRequests(
      () => hosts,
      commandHandler(orchestrator, token, maxBodyBytes),
      logsHandler(options.logs, token),
    ),
  );
  const feed = new InspectorFeed(orchestrator);
  const hub = new WebSocketHub(feed, token, maxClients, maxMessageBytes);
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) =>
    hub.upgrade(request, socket, head, hosts),
  );

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
      hub.close();
      server.close();
      server.closeAllConnections();
    }
    return closed;
  };
  // The last update and the `ended` message reach the pages before the server goes.
  feed.ended.then(close);

  return { url: `${origin}/#token=${token}`, origin, port: bound, token, closed, close };
}
