import {
  type Attributes,
  type Context,
  type Span,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { ErrorInfo, FailureKind } from '../../machines/errors.js';
import type { StampedRecord } from '../shared/records.js';
import { ATTR } from './attributes.js';
import { errorAttributes, planEventOf } from './plan-events.js';

/** The key of the finalize span among the open spans (attempt and integration ids contain `#`/`@`). */
const FINALIZE = 'finalize';

/**
 * One plan's spans, built from its records in order: a plan span (the root), a child span per job
 * attempt, per integration and per `finalize` run, and span events for checkpoints and other facts.
 * Spans are timed by the records' `at`, the orchestrator's own clock.
 */
export class PlanSpans {
  private root: Span | null = null;
  private rootContext: Context | null = null;
  private ended = false;
  private lastAt = 0;
  /** Open attempt, integration and finalize spans, by attempt id, integration id or `finalize`. */
  private readonly open = new Map<string, { span: Span; jobId: string | null }>();
  /** The open attempt span's id of each job that has one. */
  private readonly attemptOf = new Map<string, string>();

  constructor(
    private readonly tracer: Tracer,
    private readonly parent: Context,
    private readonly planId: string,
  ) {}

  add(record: StampedRecord): void {
    if (this.ended) return;
    this.lastAt = record.at;
    const root = this.root ?? this.openRoot(record);
    const event = planEventOf(record);
    if (event !== null) root.addEvent(event.name, event.attributes, record.at);
    switch (record.type) {
      case 'plan-started':
        root.setAttribute(ATTR.planJobs, record.jobs);
        return;
      case 'plan-restored':
        root.setAttribute(ATTR.planResumed, true);
        return;
      case 'attempt-started':
        this.attemptOf.set(record.jobId, record.attemptId);
        this.openChild(record.attemptId, `job ${record.jobId}`, record.at, record.jobId, {
          [ATTR.jobId]: record.jobId,
          [ATTR.attemptId]: record.attemptId,
          [ATTR.attemptNumber]: record.attempt,
        });
        return;
      case 'job-verifying':
      case 'verify-started':
        this.spanOrRoot(record.attemptId).addEvent(record.type, {}, record.at);
        return;
      case 'result-ignored':
        this.spanOrRoot(record.attemptId).addEvent(
          record.type,
          {
            [ATTR.jobId]: record.jobId,
            [ATTR.attemptId]: record.attemptId,
            [ATTR.reason]: record.why,
          },
          record.at,
        );
        return;
      case 'job-ran':
        this.close(record.attemptId, record.at, 'succeeded');
        return;
      case 'attempt-failed':
        this.fail(record.attemptId, record.at, record.kind, record.error, {
          [ATTR.retryInMs]: record.retryInMs,
        });
        return;
      case 'attempt-interrupted':
        this.fail(record.attemptId, record.at, 'interrupted', INTERRUPTED);
        return;
      case 'integration-started':
        this.openChild(record.integrationId, `integrate ${record.jobId}`, record.at, record.jobId, {
          [ATTR.jobId]: record.jobId,
          [ATTR.integrationId]: record.integrationId,
        });
        return;
      case 'job-integrated':
        this.open
          .get(record.integrationId)
          ?.span.setAttribute(ATTR.integrationChanged, record.changed);
        this.close(record.integrationId, record.at, 'succeeded');
        return;
      case 'integration-interrupted':
        this.fail(record.integrationId, record.at, 'interrupted', INTERRUPTED);
        return;
      case 'job-succeeded':
        this.close(record.attemptId, record.at, 'succeeded');
        return;
      case 'job-failed':
        this.fail(record.attemptId, record.at, record.kind, record.error);
        return;
      case 'job-skipped':
        this.closeAttemptOf(record.jobId, record.at, 'skipped');
        return;
      case 'job-canceled':
        this.closeAttemptOf(record.jobId, record.at, 'canceled');
        return;
      case 'finalize-started':
        this.openChild(FINALIZE, 'finalize', record.at, null, {});
        return;
      case 'finalize-succeeded':
        this.close(FINALIZE, record.at, 'succeeded');
        return;
      case 'finalize-failed':
        this.fail(FINALIZE, record.at, null, record.error);
        return;
      case 'plan-completed':
        this.endRoot(record.at, 'completed', { code: SpanStatusCode.OK });
        return;
      case 'plan-failed':
        this.endRoot(record.at, 'failed', { code: SpanStatusCode.ERROR, message: record.reason });
        return;
      case 'plan-canceled':
        if (record.reason !== undefined) root.setAttribute(ATTR.reason, record.reason);
        this.endRoot(record.at, 'canceled', { code: SpanStatusCode.UNSET });
        return;
    }
  }

  /**
   * Ends every span still open, marked `unfinished`, at the time of the last record seen: what
   * happened after it is unknown to the trace. Nothing is recorded afterwards.
   */
  endAll(): void {
    if (this.ended || this.root === null) {
      this.ended = true;
      return;
    }
    this.endRoot(this.lastAt, 'unfinished', { code: SpanStatusCode.UNSET });
  }

  private openRoot(record: StampedRecord): Span {
    const root = this.tracer.startSpan(
      `plan ${this.planId}`,
      { startTime: record.at, attributes: { [ATTR.planId]: this.planId } },
      this.parent,
    );
    this.root = root;
    this.rootContext = trace.setSpan(this.parent, root);
    return root;
  }

  private openChild(
    key: string,
    name: string,
    at: number,
    jobId: string | null,
    attributes: Attributes,
  ): void {
    // A span left open under the same key (a restart of the same id) ends before it is replaced.
    this.end(key, at, 'unfinished', { code: SpanStatusCode.UNSET });
    const span = this.tracer.startSpan(
      name,
      { startTime: at, attributes: { [ATTR.planId]: this.planId, ...attributes } },
      this.rootContext!,
    );
    this.open.set(key, { span, jobId });
  }

  private spanOrRoot(key: string): Span {
    return this.open.get(key)?.span ?? this.root!;
  }

  private close(key: string, at: number, outcome: string): void {
    this.end(key, at, outcome, { code: SpanStatusCode.OK });
  }

  private closeAttemptOf(jobId: string, at: number, outcome: string): void {
    const attemptId = this.attemptOf.get(jobId);
    if (attemptId !== undefined) this.end(attemptId, at, outcome, { code: SpanStatusCode.UNSET });
  }

  private fail(
    key: string,
    at: number,
    kind: FailureKind | null,
    error: ErrorInfo,
    attributes: Attributes = {},
  ): void {
    const span = this.open.get(key)?.span;
    if (span === undefined) return;
    span.setAttributes({
      ...attributes,
      ...errorAttributes(error),
      ...(kind === null ? {} : { [ATTR.failureKind]: kind }),
    });
    span.recordException({ name: error.name, message: error.message }, at);
    this.end(key, at, 'failed', { code: SpanStatusCode.ERROR, message: error.message });
  }

  private end(
    key: string,
    at: number,
    outcome: string,
    status: { code: SpanStatusCode; message?: string },
  ): void {
    const entry = this.open.get(key);
    if (entry === undefined) return;
    this.open.delete(key);
    if (entry.jobId !== null && this.attemptOf.get(entry.jobId) === key) {
      this.attemptOf.delete(entry.jobId);
    }
    const { span } = entry;
    span.setAttribute(ATTR.outcome, outcome);
    span.setStatus(status);
    span.end(at);
  }

  private endRoot(
    at: number,
    outcome: string,
    status: { code: SpanStatusCode; message?: string },
  ): void {
    for (const key of [...this.open.keys()]) {
      this.end(key, at, 'unfinished', { code: SpanStatusCode.UNSET });
    }
    const root = this.root!;
    root.setAttribute(ATTR.outcome, outcome);
    root.setStatus(status);
    root.end(at);
    this.ended = true;
  }
}

const INTERRUPTED: ErrorInfo = {
  name: 'Interrupted',
  message: 'the process stopped while this ran',
};
