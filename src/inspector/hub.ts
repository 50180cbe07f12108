import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { toExternalEntry } from './external.js';
import { type ExternalMessage, encodeFeedMessage, type InspectorFeed } from './feed.js';
import { refusalOf } from './routes.js';
import { tokenMatches } from './security.js';

/**
 * A page with more than this many bytes waiting to be sent gets no updates until they are all
 * sent; it then gets the plan as it is now (a `hello`), so a slow page skips states, not news.
 */
export const SLOW_CLIENT_BYTES = 1_048_576;

/** A page with more than this many bytes waiting to be sent is closed: it is not reading. */
export const STUCK_CLIENT_BYTES = 16 * 1_048_576;

/** WebSocket close code "try again later": the server is at its limit of clients. */
const CLOSE_TOO_MANY_CLIENTS = 1013;

/** WebSocket close code "policy violation": the page does not read what it is sent. */
const CLOSE_NOT_READING = 1008;

/** What the hub knows of a page's socket: whether it skipped updates, and sends not yet written. */
interface PageState {
  behind: boolean;
  unwritten: number;
}

/**
 * The WebSockets: pages at `/live` get the feed, apps at `/inspect` send `@statelyai/inspect`
 * traffic that is passed on to the pages. At most `maxClients` at once.
 */
export class WebSocketHub {
  private readonly pages = new Map<WebSocket, PageState>();
  private readonly sockets: WebSocketServer;
  private clients = 0;

  constructor(
    private readonly feed: InspectorFeed,
    private readonly token: string,
    private readonly maxClients: number,
    maxMessageBytes: number,
  ) {
    this.sockets = new WebSocketServer({ noServer: true, maxPayload: maxMessageBytes });
    feed.subscribe((message) => this.toPages(encodeFeedMessage(message)));
  }

  /** The server's `upgrade` listener. */
  upgrade(request: IncomingMessage, socket: Duplex, head: Buffer, hosts: ReadonlySet<string>) {
    const url = new URL(request.url ?? '/', 'http://inspector');
    const refused =
      refusalOf(request, hosts) ??
      (tokenMatches(url.searchParams.get('token'), this.token) ? null : 'missing or wrong token') ??
      (url.pathname === '/live' || url.pathname === '/inspect'
        ? null
        : `no WebSocket at ${url.pathname}`);
    if (refused) {
      socket.end(`HTTP/1.1 403 Forbidden\r\nconnection: close\r\n\r\n${refused}`);
      return;
    }
    this.sockets.handleUpgrade(request, socket, head, (ws) => {
      // A message over the size limit closes the socket (1009); nothing else is to be done.
      ws.on('error', () => ws.terminate());
      // Completed, then closed with a reason: a browser shows a close reason, not a refused upgrade.
      if (this.clients >= this.maxClients) {
        ws.close(
          CLOSE_TOO_MANY_CLIENTS,
          `the inspector serves at most ${this.maxClients} WebSocket clients at once; close one and try again`,
        );
        return;
      }
      this.clients++;
      ws.once('close', () => this.clients--);
      if (url.pathname === '/live') this.openPage(ws);
      else this.openExternal(ws);
    });
  }

  /** Closes every client and stops accepting new ones. */
  close(): void {
    for (const ws of this.sockets.clients) ws.close(1000, 'inspector stopped');
    this.sockets.close();
  }

  private openPage(ws: WebSocket): void {
    const page: PageState = { behind: false, unwritten: 0 };
    this.pages.set(ws, page);
    ws.on('close', () => this.pages.delete(ws));
    this.write(ws, page, encodeFeedMessage(this.feed.hello()));
  }

  /** An XState app's `@statelyai/inspect` traffic, passed on to the pages. */
  private openExternal(ws: WebSocket): void {
    ws.on('message', (data) => {
      const entry = toExternalEntry(String(data));
      if ('problem' in entry) {
        ws.send(JSON.stringify({ type: 'refused', reason: entry.problem }));
        return;
      }
      this.toPages(JSON.stringify({ type: 'external', entry } satisfies ExternalMessage));
    });
  }

  private toPages(text: string): void {
    for (const [ws, page] of this.pages) this.deliver(ws, page, text);
  }

  /** Sends to a page that keeps up; a page that does not is skipped, or closed when stuck. */
  private deliver(ws: WebSocket, page: PageState, text: string): void {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > STUCK_CLIENT_BYTES) {
      ws.close(
        CLOSE_NOT_READING,
        `the page has more than ${STUCK_CLIENT_BYTES} bytes it did not read; reload it`,
      );
      return;
    }
    if (page.behind || ws.bufferedAmount > SLOW_CLIENT_BYTES) {
      page.behind = true;
      return;
    }
    this.write(ws, page, text);
  }

  /** Once everything sent to a page that skipped updates is written, it gets the plan as it is. */
  private write(ws: WebSocket, page: PageState, text: string): void {
    page.unwritten++;
    ws.send(text, () => {
      page.unwritten--;
      if (page.unwritten === 0 && page.behind && ws.readyState === ws.OPEN) {
        page.behind = false;
        this.write(ws, page, encodeFeedMessage(this.feed.hello()));
      }
    });
  }
}
