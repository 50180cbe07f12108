import type { Redis } from 'ioredis';
import { PersistenceError, RedisStoreError } from '../shared/errors.js';
import {
  COMMAND_TIMED_OUT,
  connectionError,
  openRedis,
  type RedisConnection,
  whenReady,
} from './redis-connection.js';
import { defineScripts, type PlanScripts } from './redis-scripts.js';

export interface RedisLinkOptions {
  connection: RedisConnection;
  /** The server without its password, for messages. */
  endpoint: string;
  /** What a write refused by a closed store names (the store's `path`). */
  path: string;
  planId: string;
  /** How long a command may go unanswered before the connection counts as down (the lease). */
  commandTimeoutMs: number;
  warn: (message: string) => void;
}

/**
 * A store's connection to Redis and its health. While Redis is unreachable every write is
 * refused at once (the plan pauses at its `persistence` checkpoint); the client reconnects by
 * itself, the outage and the recovery are reported, and `onWritable` tells the plan to go on.
 */
export class RedisLink {
  readonly redis: Redis & PlanScripts;
  readonly endpoint: string;
  private readonly path: string;
  private readonly planId: string;
  private readonly commandTimeoutMs: number;
  private readonly warn: (message: string) => void;
  private everReady = false;
  private down = false;
  private closedNow = false;
  private lastError: string | null = null;
  private readonly writable = new Set<() => void>();

  constructor(options: RedisLinkOptions) {
    this.endpoint = options.endpoint;
    this.path = options.path;
    this.planId = options.planId;
    this.commandTimeoutMs = options.commandTimeoutMs;
    this.warn = options.warn;
    // A write Redis has not answered within a lease cannot be counted on: the plan pauses.
    this.redis = defineScripts(openRedis(options.connection, options.commandTimeoutMs));
    this.watchConnection();
  }

  get closed(): boolean {
    return this.closedNow;
  }

  /** True while the connection is up (a command sent now is answered or times out). */
  get isReady(): boolean {
    return this.redis.status === 'ready';
  }

  private watchConnection(): void {
    this.redis.on('error', (error: Error) => {
      this.lastError = error.message;
    });
    this.redis.on('ready', () => {
      this.everReady = true;
      if (!this.down) return;
      this.down = false;
      this.warn(`Redis at ${this.endpoint} is reachable again; plan "${this.planId}" goes on`);
      this.tryAgain();
    });
    this.redis.on('close', () => {
      if (!this.everReady || this.down || this.closedNow) return;
      this.down = true;
      this.warn(
        `Redis at ${this.endpoint} is unreachable (${this.lastError ?? 'connection lost'}); plan "${this.planId}" pauses at its persistence checkpoint and goes on by itself when Redis is back`,
      );
    });
  }

  /** Connects (once); rejects with a `RedisStoreError` naming the server when it cannot. */
  ready(): Promise<void> {
    if (this.closedNow) {
      return Promise.reject(
        new PersistenceError(this.path, new Error('this store was closed; open a new one')),
      );
    }
    return whenReady(this.redis, this.endpoint, this.everReady);
  }

  /**
   * Tells `listener` each time a plan paused at `persistence` should write again: Redis is
   * reachable after an outage, or the renewal found the plan taken over (the write then fails
   * with a `LeaseLostError`, which stops the plan instead of leaving it paused).
   */
  onWritable(listener: () => void): () => void {
    this.writable.add(listener);
    return () => this.writable.delete(listener);
  }

  tryAgain(): void {
    if (this.closedNow) return;
    for (const listener of [...this.writable]) listener();
  }

  /** While Redis is unreachable a write is refused at once: the plan pauses instead of waiting. */
  failFastWhileDown(): void {
    if (this.redis.status === 'ready') return;
    throw new Error(
      `Redis at ${this.endpoint} is unreachable (${this.lastError ?? this.redis.status}); the plan goes on once it is back`,
    );
  }

  /**
   * A connection on which Redis stopped answering is dropped and made again: the outage is then
   * reported, and the plan goes on once Redis answers (`onWritable`). A write that reached Redis
   * on the dropped connection is recognised by the next try and not appended twice.
   */
  reconnectIfUnanswered(error: unknown): void {
    if ((error as Error)?.message === COMMAND_TIMED_OUT && this.redis.status === 'ready') {
      this.lastError = `no answer within ${this.commandTimeoutMs} ms`;
      this.redis.disconnect(true);
    }
  }

  /**
   * Runs a Redis call; a key of the wrong kind is named (with what it holds), a lost connection
   * or a refused password named with the server.
   */
  async run<T>(call: () => Promise<T>, keys: [string, string][]): Promise<T> {
    try {
      return await call();
    } catch (error) {
      const message = (error as Error).message ?? String(error);
      if (message.includes('WRONGTYPE')) {
        for (const [key, expected] of keys) {
          const kind = await this.redis.type(key).catch(() => expected);
          if (kind !== expected && kind !== 'none') throw wrongType(key, kind, this.endpoint);
        }
      }
      if (/NOAUTH|WRONGPASS/.test(message)) throw connectionError(error as Error, this.endpoint);
      if (message === COMMAND_TIMED_OUT) {
        this.reconnectIfUnanswered(error);
        throw connectionError(
          new Error(`no answer within ${this.commandTimeoutMs} ms`),
          this.endpoint,
        );
      }
      throw error;
    }
  }

  /** Stops telling the plan to write again and disconnects (after a polite QUIT when up). */
  async close(): Promise<void> {
    this.closedNow = true;
    this.writable.clear();
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => {});
    this.redis.disconnect();
  }
}

export function wrongType(key: string, kind: string, endpoint: string): RedisStoreError {
  return new RedisStoreError(
    'REDIS_WRONG_TYPE',
    `Redis key ${key} at ${endpoint} holds a ${kind}, not what a plan keeps there; it belongs to something else: use another keyPrefix or database, or delete the key if it is stale`,
  );
}
