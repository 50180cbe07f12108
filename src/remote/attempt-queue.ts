import { Queue } from 'bullmq';
import { toErrorInfo } from '../../machines/errors.js';
import type { RedisConnection } from '../persistence/redis-connection.js';
import { rangeProblem } from '../plan/range.js';
import type { JobRun } from '../plan/types.js';
import { RemoteAttemptError } from '../shared/errors.js';
import { noWorkerProgress } from '../shared/placement.js';
import { settledWithin } from '../shared/settled-within.js';
import {
  type AttemptJobData,
  type CancelMessage,
  cancelChannelOf,
  decodeFailure,
  PROTOCOL_VERSION,
  queueJobIdOf,
  REPORT,
  type Report,
  reportStreamOf,
} from './protocol.js';
import { DEFAULT_QUEUE_PREFIX, queueClient } from './queue-connection.js';
import { remoteError } from './remote-error.js';
import { readReports } from './report-reader.js';

/** Where attempts go and how long BullMQ keeps them (`createAttemptQueue`). */
export interface AttemptQueueOptions {
  /** The Redis that holds the queue. */
  connection: RedisConnection;
  /** The BullMQ queue the attempts go to; workers started with the same name take them. */
  queue: string;
  /** BullMQ's key prefix. Default `bull`, BullMQ's own. */
  prefix?: string;
  /**
   * How long a finished attempt stays in BullMQ, in seconds, so that a coordinator that
   * restarts can adopt its result. Integer, 60 to 2,592,000 (30 days). Default 86,400 (a day).
   */
  keepFinishedSeconds?: number;
}

/** Where an attempt ended on a worker, as the coordinator hears it. */
type Outcome = { ok: true; output: unknown } | { ok: false; failedReason: string };

interface Waiting {
  settle(outcome: Outcome): void;
  report(progress: unknown): void;
  /** When BullMQ had the attempt (its add resolved); null before. */
  addedAt: number | null;
  /** Whether a worker took it. */
  taken: boolean;
}

/**
 * How often attempts waited for longer than this are looked up in BullMQ, in ms: the report
 * stream is capped, and a coordinator that falls far enough behind it misses some reports (as it
 * misses those of a worker that could not send them, or of a worker of an older version). The
 * look-up reads their outcome from BullMQ's job instead.
 */
const SWEEP_MS = 5_000;

/** What the attempts of one plan run need from the queue. */
export interface AttemptQueue {
  readonly name: string;
  /**
   * The `run` of a job whose attempts run on the queue's workers, by the handler named
   * `handler`. `runKey` tells the attempts of this plan run apart from others on the queue.
   */
  runOf(runKey: string, handler: string): JobRun;
  /**
   * Of these attempts of the run `runKey`, those BullMQ still has (waiting, running or
   * finished): a resumed coordinator adopts them (`resumeOrchestrator`'s `adopt`) instead of
   * running them again.
   */
  adoptable(runKey: string, attemptIds: readonly string[]): Promise<ReadonlySet<string>>;
  /** How many workers are connected to the queue now (BullMQ's `getWorkersCount`). */
  workerCount(): Promise<number>;
  /**
   * Reports, as progress of each attempt sent to the queue that no worker took yet, that the queue
   * has had no worker for `seconds`: the view and `status` show such jobs `queued`, saying so.
   */
  tellNoWorker(seconds: number): void;
  /** Closes the queue's connections; attempts still under way are left to their workers. */
  close(): Promise<void>;
}

const MIN_KEEP_S = 60;
const MAX_KEEP_S = 2_592_000;
const DEFAULT_KEEP_S = 86_400;

/**
 * Dispatches attempts to BullMQ: one BullMQ job per attempt, whose id is derived from the plan
 * and the attempt (so that adding it again is a no-op), with BullMQ's own retries off (the job's
 * retry policy governs). Progress and outcomes come back on the queue's report stream, read in
 * batches (BullMQ's job stays the source of truth: a report missed is read from it); a stopped
 * attempt (timeout, skip, cancel) is canceled on whichever worker runs it through a Redis
 * channel every worker of the queue listens to.
 */
export async function createAttemptQueue(options: AttemptQueueOptions): Promise<AttemptQueue> {
  const keep = options.keepFinishedSeconds ?? DEFAULT_KEEP_S;
  const bounds = { integer: true, min: MIN_KEEP_S, max: MAX_KEEP_S };
  const problem = rangeProblem('keepFinishedSeconds', keep, bounds, { show: String });
  if (problem) throw new RemoteAttemptError('QUEUE_OPTION', problem);
  const prefix = options.prefix ?? DEFAULT_QUEUE_PREFIX;
  const name = options.queue;
  const client = queueClient(options.connection, true);
  const queue = new Queue<AttemptJobData>(name, { connection: client, prefix });
  /** Attempts a restarted coordinator found in BullMQ (`adoptable`): their outcome may be in already. */
  const adopted = new Set<string>();
  const waiting = new Map<string, Waiting>();
  /** Attempts canceled before a worker took them: told again once one does. */
  const canceled = new Map<string, CancelMessage>();
  const channel = cancelChannelOf(prefix, name);

  const onReport = ([queueJobId, kind, value]: Report) => {
    if (kind === REPORT.progress) {
      const message = canceled.get(queueJobId);
      if (message) void publishCancel(message);
      const entry = waiting.get(queueJobId);
      if (!entry) return;
      entry.taken = true;
      entry.report(value);
      return;
    }
    canceled.delete(queueJobId);
    waiting
      .get(queueJobId)
      ?.settle(
        kind === REPORT.completed
          ? { ok: true, output: value }
          : { ok: false, failedReason: String(value) },
      );
  };
  // BullMQ closes no connection it was given: this one is disconnected on close, as `client` is.
  const reports = await readReports(client.duplicate(), reportStreamOf(prefix, name), onReport);
  await queue.waitUntilReady();

  const publishCancel = (message: CancelMessage) =>
    client.publish(channel, JSON.stringify(message)).catch(() => undefined);

  /**
   * Cancels being sent: a plan that fails or is canceled ends at once, and its coordinator
   * closes the queue right after, so `close` lets them reach Redis first.
   */
  const cancels = new Set<Promise<void>>();
  const cancel = (queueJobId: string, reason: unknown) => {
    const message: CancelMessage = { queueJobId, reason: toErrorInfo(reason) };
    canceled.set(queueJobId, message);
    const sending = (async () => {
      await publishCancel(message);
      // A job no worker took yet is simply taken off the queue; a running one cannot be (locked).
      const removed = await queue.remove(queueJobId).catch(() => 0);
      if (removed) canceled.delete(queueJobId);
    })().finally(() => cancels.delete(sending));
    cancels.add(sending);
  };

  /** An attempt that already ended is read back from BullMQ: its report went by unheard. */
  const finishedOutcome = async (queueJobId: string): Promise<Outcome | null> => {
    // Its state first: most attempts looked at are still under way, and reading the whole job
    // (its input, its dependencies' outputs) would be wasted on them.
    const state = await queue.getJobState(queueJobId);
    if (state === 'unknown') return { ok: false, failedReason: GONE };
    if (state !== 'completed' && state !== 'failed') return null;
    const job = await queue.getJob(queueJobId);
    if (!job) return { ok: false, failedReason: GONE };
    return state === 'completed'
      ? { ok: true, output: job.returnvalue }
      : { ok: false, failedReason: job.failedReason };
  };

  let sweeping = false;
  const sweep = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    const due = Date.now() - SWEEP_MS;
    const late = [...waiting].filter(([, w]) => w.addedAt !== null && w.addedAt <= due);
    Promise.all(
      late.map(([id, w]) =>
        finishedOutcome(id).then(
          (outcome) => outcome && w.settle(outcome),
          () => undefined,
        ),
      ),
    ).finally(() => {
      sweeping = false;
    });
  }, SWEEP_MS);
  sweep.unref();

  /** How long BullMQ keeps an attempt once it ended: the same options object for every attempt. */
  const finishedKept = { age: keep };

  /**
   * The attempts begun in one scheduling pass (one turn of the event loop) go to BullMQ in one
   * `addBulk`: one round trip and one transaction for the pass instead of one per attempt.
   */
  let batch: SentAttempt[] = [];
  const flush = () => {
    const sending = batch;
    batch = [];
    queue
      .addBulk(
        sending.map((attempt) => ({
          name: attempt.data.jobId,
          data: attempt.data,
          opts: {
            jobId: attempt.queueJobId,
            attempts: 1,
            removeOnComplete: finishedKept,
            removeOnFail: finishedKept,
          },
        })),
      )
      .then(
        () => {
          for (const attempt of sending) attempt.added();
        },
        (error: unknown) => {
          for (const attempt of sending) attempt.notAdded(error);
        },
      );
  };

  /** One attempt sent to the queue and waited for: one object, its own abort listener. */
  class SentAttempt implements Waiting {
    addedAt: number | null = null;
    taken = false;
    readonly data: AttemptJobData;
    readonly queueJobId: string;
    readonly report: (progress: unknown) => void;
    readonly #signal: AbortSignal;
    readonly #resolve: (output: unknown) => void;
    readonly #reject: (error: unknown) => void;

    constructor(
      queueJobId: string,
      data: AttemptJobData,
      ctx: Parameters<JobRun>[0],
      resolve: (output: unknown) => void,
      reject: (error: unknown) => void,
    ) {
      this.queueJobId = queueJobId;
      this.data = data;
      this.report = ctx.report;
      this.#signal = ctx.signal;
      this.#resolve = resolve;
      this.#reject = reject;
    }

    /** Waits for the attempt's outcome, or sends it to the queue first (`flush`). */
    start(): void {
      waiting.set(this.queueJobId, this);
      if (this.#signal.aborted) {
        this.handleEvent();
        return;
      }
      this.#signal.addEventListener('abort', this, { once: true });
      if (batch.length === 0) queueMicrotask(flush);
      batch.push(this);
    }

    settle(outcome: Outcome): void {
      if (!waiting.delete(this.queueJobId)) return;
      this.#signal.removeEventListener('abort', this);
      if (outcome.ok) this.#resolve(outcome.output);
      else this.#reject(failureOf(outcome.failedReason, this.data.attemptId, name));
    }

    /** The attempt's signal aborted (timeout, skip, cancel): stopped wherever it runs. */
    handleEvent(): void {
      waiting.delete(this.queueJobId);
      this.#reject(this.#signal.reason);
      cancel(this.queueJobId, this.#signal.reason);
    }

    added(): void {
      this.addedAt = Date.now();
      if (!adopted.has(this.queueJobId)) return;
      finishedOutcome(this.queueJobId).then(
        (outcome) => outcome && this.settle(outcome),
        () => undefined, // the sweep reads it again
      );
    }

    notAdded(error: unknown): void {
      if (!waiting.delete(this.queueJobId)) return;
      this.#signal.removeEventListener('abort', this);
      this.#reject(error);
    }
  }

  const runOf =
    (runKey: string, handler: string): JobRun =>
    (ctx) =>
      new Promise((resolve, reject) => {
        const data: AttemptJobData = {
          protocol: PROTOCOL_VERSION,
          planId: runKey,
          jobId: ctx.jobId,
          attempt: ctx.attempt,
          attemptId: ctx.attemptId,
          handler,
          input: ctx.input ?? null,
          needs: ctx.needs,
        };
        const queueJobId = queueJobIdOf(runKey, ctx.attemptId);
        new SentAttempt(queueJobId, data, ctx, resolve, reject).start();
      });

  const adoptable = async (runKey: string, attemptIds: readonly string[]) => {
    const found = await Promise.all(
      attemptIds.map((id) =>
        queue.getJobState(queueJobIdOf(runKey, id)).then((state) => state !== 'unknown'),
      ),
    );
    const kept = attemptIds.filter((_, i) => found[i]);
    for (const id of kept) adopted.add(queueJobIdOf(runKey, id));
    return new Set(kept);
  };

  return {
    name,
    runOf,
    adoptable,
    workerCount: () => queue.getWorkersCount(),
    tellNoWorker(seconds) {
      const progress = noWorkerProgress(name, seconds);
      for (const entry of waiting.values()) {
        if (!entry.taken) entry.report(progress);
      }
    },
    async close() {
      clearInterval(sweep);
      await settledWithin([...cancels], CANCEL_SEND_MS);
      reports.close();
      await queue.close();
      client.disconnect();
    },
  };
}

/**
 * How long closing waits for cancels still being sent: Redis answers in a millisecond when it is
 * there; when it is not, the cancel is lost either way and closing must not hang on it.
 */
const CANCEL_SEND_MS = 2_000;

/** The failed reason of an attempt BullMQ no longer has (removed, or Redis lost it). */
const GONE = 'the queue no longer has it';

function failureOf(failedReason: string, attemptId: string, queue: string): Error {
  const failure = decodeFailure(failedReason);
  if (failure) return remoteError(failure);
  // BullMQ's own reason: the only one an attempt can end with without our worker saying so is
  // the stalled-job limit (its worker died or stopped answering too often).
  return remoteError({
    retryable: true,
    error: {
      name: 'RemoteAttemptError',
      code: 'WORKER_LOST',
      message: `Attempt "${attemptId}" lost its worker on queue "${queue}" (${failedReason}); the job's retry policy decides whether it runs again`,
    },
  });
}
