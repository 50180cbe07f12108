import { hostname } from 'node:os';
import { type Job, WaitingError, Worker } from 'bullmq';
import { isObservable, lastValueFrom, tap } from 'rxjs';
import { toErrorInfo } from '../../machines/errors.js';
import type { RedisConnection } from '../persistence/redis-connection.js';
import type { JobRun } from '../plan/types.js';
import { NonRetryableError, RemoteAttemptError } from '../shared/errors.js';
import { placementProgress } from '../shared/placement.js';
import {
  type AttemptJobData,
  type CancelMessage,
  cancelChannelOf,
  encodeFailure,
  PROTOCOL_VERSION,
  REPORT,
  reportStreamOf,
} from './protocol.js';
import { DEFAULT_QUEUE_PREFIX, queueClient } from './queue-connection.js';
import { remoteError } from './remote-error.js';
import { reportSender } from './report-sender.js';
import { RunningAttempt } from './running-attempt.js';
import { checkWorkerOptions } from './worker-options.js';

/** A handler runs one attempt on a worker: the same context as a local job's `run`. */
export type Handler = JobRun;

/** A worker's queue, handlers and limits (`createWorker`). */
export interface WorkerOptions {
  connection: RedisConnection;
  /** The queue whose attempts this worker takes. */
  queue: string;
  /** The work this worker can do, by the name jobs give in `handler`. */
  handlers: Record<string, Handler>;
  /** Attempts run at once. Integer, 1 to 10,000. Default 1. */
  concurrency?: number;
  /** How the worker is named in records, the view and errors. Default `<hostname>:<pid>`. */
  name?: string;
  /** BullMQ's key prefix. Default `bull`. */
  prefix?: string;
  /**
   * How long a running attempt's lock lasts without renewal, in ms (the worker renews it at half
   * that): a worker that died is noticed after about this long. Integer, 1,000 to 600,000.
   * Default 30,000 (BullMQ's).
   */
  lockDurationMs?: number;
  /** How often the worker looks for attempts whose worker died, in ms. Integer, 1,000 to 600,000. Default 30,000. */
  stalledIntervalMs?: number;
  /**
   * How many times an attempt may lose its worker and be delivered to another before it fails
   * with `WORKER_LOST`. Integer, 0 to 100. Default 1 (BullMQ's).
   */
  maxStalledCount?: number;
  /** Told each time this worker begins an attempt (for logs). */
  onStart?: (attempt: AttemptJobData) => void;
}

/** A running worker: takes attempts from its queue until closed. */
export interface AttemptWorker {
  readonly name: string;
  /** The underlying BullMQ worker. */
  readonly worker: Worker<AttemptJobData>;
  /**
   * Stops taking attempts and waits for the running ones to end; those still running after
   * `graceMs` are stopped (their signal aborted) and handed back to the queue, where another
   * worker takes them. Resolves with how many were handed back.
   */
  close(graceMs?: number): Promise<number>;
}

/** Default time a closing worker gives its running attempts before handing them back. */
export const DEFAULT_CLOSE_GRACE_MS = 10_000;

/**
 * A worker that runs the attempts a plan sends to a BullMQ queue, by handler name. An attempt's
 * failure travels back with its error's name, code and data; one the job's coordinator cancels
 * (timeout, skip, cancel) has its signal aborted here, whichever machine sends the cancel.
 */
export async function createWorker(options: WorkerOptions): Promise<AttemptWorker> {
  checkWorkerOptions(options);
  const name = options.name ?? `${hostname()}:${process.pid}`;
  const prefix = options.prefix ?? DEFAULT_QUEUE_PREFIX;
  const queue = options.queue;
  const client = queueClient(options.connection);
  const listener = client.duplicate();
  const running = new Map<string, RunningAttempt>();
  const handBackReason = new Error(
    `worker "${name}" is shutting down; its attempt goes back to the queue`,
  );

  const reports = reportSender(client, reportStreamOf(prefix, queue));

  // The same report for every attempt: the worker's name.
  const placement = placementProgress(name);

  const processor = async (job: Job<AttemptJobData>, token?: string) => {
    const data = job.data;
    const queueJobId = job.id!;
    const attempt = new RunningAttempt(data, (progress) =>
      reports.send(queueJobId, REPORT.progress, progress),
    );
    running.set(queueJobId, attempt);
    // The coordinator learns which worker runs the attempt before any progress of the job's own.
    reports.send(queueJobId, REPORT.progress, placement);
    options.onStart?.(data);
    try {
      const handler = handlerFor(data, options.handlers, name, queue);
      const result = handler(attempt.context);
      const output = isObservable(result)
        ? await lastValueFrom(result.pipe(tap(attempt.context.report)), {
            defaultValue: undefined,
          })
        : await result;
      return output ?? null;
    } catch (error) {
      if (attempt.reason === handBackReason && token) {
        await job.moveToWait(token);
        throw new WaitingError();
      }
      throw new Error(
        encodeFailure({
          error: toErrorInfo(error),
          retryable: !(error instanceof NonRetryableError || error instanceof RemoteAttemptError),
        }),
      );
    } finally {
      running.delete(queueJobId);
    }
  };

  const worker = new Worker<AttemptJobData>(queue, processor, {
    connection: client,
    prefix,
    name,
    concurrency: options.concurrency ?? 1,
    ...(options.lockDurationMs ? { lockDuration: options.lockDurationMs } : {}),
    ...(options.stalledIntervalMs ? { stalledInterval: options.stalledIntervalMs } : {}),
    ...(options.maxStalledCount !== undefined ? { maxStalledCount: options.maxStalledCount } : {}),
    autorun: false,
  });
  // Told once BullMQ recorded the outcome, so that what the coordinator hears is what BullMQ
  // keeps. This covers an attempt failed for losing its worker too often: the worker that takes
  // it next fails it here.
  worker.on('completed', (job, output) => {
    reports.send(job.id!, REPORT.completed, output);
  });
  worker.on('failed', (job, error) => {
    if (job) reports.send(job.id!, REPORT.failed, job.failedReason ?? error.message);
  });
  worker.on('error', () => {
    // Connection trouble: ioredis reconnects, and BullMQ takes up the work where it was.
  });

  await listener.subscribe(cancelChannelOf(prefix, queue));
  listener.on('message', (_channel, text: string) => {
    let message: CancelMessage;
    try {
      message = JSON.parse(text) as CancelMessage;
    } catch {
      return; // not a cancel request of ours: whoever can publish there cannot bring us down
    }
    running
      .get(message.queueJobId)
      ?.abort(remoteError({ error: message.reason, retryable: false }));
  });
  void worker.run();
  await worker.waitUntilReady();

  return {
    name,
    worker,
    async close(graceMs = DEFAULT_CLOSE_GRACE_MS) {
      const closing = worker.close();
      let handedBack = 0;
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<'grace-over'>((resolve) => {
        timer = setTimeout(() => resolve('grace-over'), graceMs);
      });
      if ((await Promise.race([closing, graceOver])) === 'grace-over') {
        handedBack = running.size;
        for (const attempt of running.values()) attempt.abort(handBackReason);
        await closing;
      }
      clearTimeout(timer);
      await reports.flushed();
      listener.disconnect();
      client.disconnect();
      return handedBack;
    },
  };
}

function handlerFor(
  data: AttemptJobData,
  handlers: Record<string, Handler>,
  worker: string,
  queue: string,
): Handler {
  if (data.protocol !== PROTOCOL_VERSION) {
    throw new RemoteAttemptError(
      'WORKER_PROTOCOL',
      `Worker "${worker}" speaks queue protocol ${PROTOCOL_VERSION} but attempt "${data.attemptId}" on queue "${queue}" was sent with protocol ${String(data.protocol)}; run workers of the same plan-orchestrator version as the coordinator`,
    );
  }
  const handler = Object.hasOwn(handlers, data.handler) ? handlers[data.handler] : undefined;
  if (handler) return handler;
  const known = Object.keys(handlers);
  throw new RemoteAttemptError(
    'UNKNOWN_HANDLER',
    `Worker "${worker}" on queue "${queue}" has no handler "${data.handler}" for job "${data.jobId}" (it has ${known.length > 0 ? known.map((h) => `"${h}"`).join(', ') : 'none'}); register it in createWorker({ handlers })`,
  );
}
