import { SpanStatusCode } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/index.js';
import { ATTR, traceOrchestrator } from '../../src/otel/index.js';
import {
  createTestOrchestrator,
  resumeTestOrchestrator,
  type TestPlanSpec,
} from '../../src/testing/index.js';

let exporter: InMemorySpanExporter;
let tracerProvider: BasicTracerProvider;

beforeEach(() => {
  exporter = new InMemorySpanExporter();
  tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
});

/** Finished spans by name, in the order they ended. */
function spans(): ReadableSpan[] {
  return exporter.getFinishedSpans();
}

function only(name: string): ReadableSpan {
  const found = spans().filter((span) => span.name === name);
  expect(found.map((span) => span.name)).toEqual([name]);
  return found[0]!;
}

function parentOf(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

const manualIntegration = {
  integrate: 'manual',
  check: 'manual',
  rollback: 'manual',
} as const satisfies TestPlanSpec['integration'];

describe('traceOrchestrator', () => {
  it('makes a plan span with a child span per attempt, per integration and for finalize, ending them all when the plan completes', async () => {
    const kit = createTestOrchestrator({
      id: 'release',
      jobs: [
        { id: 'build', retry: { maxAttempts: 2, initialDelayMs: 100 } },
        { id: 'test', dependsOn: ['build'] },
        { id: 'docs', dependsOn: ['build'] },
      ],
      integration: { integrate: 'manual' },
      finalize: 'manual',
    });
    traceOrchestrator(kit.orchestrator, { tracerProvider });
    await kit.start();
    kit.send({ type: 'SKIP_JOB', jobId: 'docs', reason: 'not this time' });
    await kit.fail('build', new Error('compiler crashed'));
    await kit.advance(100);
    await kit.complete('build', 'bin');
    kit.hookCall('integrate', 'build').resolve({ changed: true });
    await kit.flush();
    await kit.complete('test');
    kit.hookCall('integrate', 'test').resolve({ changed: false });
    await kit.flush();
    kit.hookCall('finalize').resolve('pull request opened');
    await kit.flush();
    expect(kit.view().status).toBe('completed');

    const root = only('plan release');
    expect(parentOf(root)).toBeUndefined();
    expect(root.status.code).toBe(SpanStatusCode.OK);
    expect(root.attributes).toMatchObject({
      [ATTR.planId]: 'release',
      [ATTR.planJobs]: 3,
      [ATTR.outcome]: 'completed',
    });
    expect(root.events.map((event) => event.name)).toEqual(['command', 'job-skipped']);
    expect(root.events[1]!.attributes).toEqual({
      [ATTR.jobId]: 'docs',
      [ATTR.reason]: 'not this time',
    });

    const rootId = root.spanContext().spanId;
    const children = spans().filter((span) => span !== root);
    expect(children.map((span) => span.name)).toEqual([
      'job build',
      'job build',
      'integrate build',
      'job test',
      'integrate test',
      'finalize',
    ]);
    for (const child of children) {
      expect(parentOf(child)).toBe(rootId);
      expect(child.spanContext().traceId).toBe(root.spanContext().traceId);
      expect(child.ended).toBe(true);
    }

    const [failed, retried, integrated, , unchanged, finalize] = children;
    expect(failed!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'compiler crashed' });
    expect(failed!.attributes).toMatchObject({
      [ATTR.planId]: 'release',
      [ATTR.jobId]: 'build',
      [ATTR.attemptId]: 'build#1',
      [ATTR.attemptNumber]: 1,
      [ATTR.outcome]: 'failed',
      [ATTR.failureKind]: 'job_failed',
      [ATTR.failureMessage]: 'compiler crashed',
      [ATTR.errorType]: 'Error',
      [ATTR.retryInMs]: 100,
    });
    expect(failed!.events.map((event) => event.name)).toEqual(['exception']);
    expect(retried!.status.code).toBe(SpanStatusCode.OK);
    expect(retried!.attributes).toMatchObject({
      [ATTR.attemptId]: 'build#2',
      [ATTR.attemptNumber]: 2,
      [ATTR.outcome]: 'succeeded',
    });
    expect(integrated!.attributes).toMatchObject({
      [ATTR.jobId]: 'build',
      [ATTR.integrationId]: 'build@1',
      [ATTR.integrationChanged]: true,
      [ATTR.outcome]: 'succeeded',
    });
    expect(unchanged!.attributes[ATTR.integrationChanged]).toBe(false);
    expect(finalize!.status.code).toBe(SpanStatusCode.OK);
    expect(spans().some((span) => span.attributes[ATTR.jobId] === 'docs')).toBe(false);
  });

  it('marks a failed check ERROR on its integration span and the failed plan ERROR on the plan span', async () => {
    const kit = createTestOrchestrator({
      id: 'train',
      onJobFailure: 'continue',
      jobs: [{ id: 'a' }],
      integration: manualIntegration,
    });
    traceOrchestrator(kit.orchestrator, { tracer: tracerProvider.getTracer('test') });
    await kit.start();
    await kit.complete('a');
    kit.hookCall('integrate', 'a').resolve({ changed: true });
    await kit.flush();
    kit.hookCall('check', 'a').resolve(false);
    await kit.flush();
    kit.hookCall('rollback', 'a').resolve(undefined);
    await kit.flush();
    expect(kit.view().status).toBe('failed');

    const integration = only('integrate a');
    expect(integration.status).toEqual({
      code: SpanStatusCode.ERROR,
      message: 'check returned false',
    });
    expect(integration.attributes).toMatchObject({
      [ATTR.failureKind]: 'check_failed',
      [ATTR.outcome]: 'failed',
    });
    const root = only('plan train');
    expect(root.status.code).toBe(SpanStatusCode.ERROR);
    expect(root.attributes[ATTR.outcome]).toBe('failed');
  });

  it('records a checkpoint as a plan span event, and stop() ends every span left open by a paused plan', async () => {
    const kit = createTestOrchestrator({
      id: 'paused',
      onJobFailure: 'pause',
      jobs: [{ id: 'flaky' }, { id: 'slow' }],
    });
    const tracing = traceOrchestrator(kit.orchestrator, { tracerProvider });
    await kit.start();
    await kit.fail('flaky', new Error('boom'));
    expect(kit.view().status).toBe('paused');
    expect(spans().map((span) => span.name)).toEqual(['job flaky']);

    tracing.stop();
    tracing.stop();
    const root = only('plan paused');
    const slow = only('job slow');
    expect(slow.attributes[ATTR.outcome]).toBe('unfinished');
    expect(parentOf(slow)).toBe(root.spanContext().spanId);
    expect(root.attributes[ATTR.outcome]).toBe('unfinished');
    const checkpoint = root.events.find((event) => event.name === 'checkpoint');
    expect(checkpoint?.attributes).toEqual({
      [ATTR.checkpoint]: 'on_error',
      [ATTR.jobId]: 'flaky',
      [ATTR.failureKind]: 'job_failed',
      [ATTR.failureMessage]: 'boom',
    });

    await kit.complete('slow');
    expect(spans()).toHaveLength(3);
  });

  it('puts the plan span under the span active when tracing began', async () => {
    const tracer = tracerProvider.getTracer('app');
    const kit = createTestOrchestrator({ id: 'nested', jobs: [{ id: 'only' }] });
    const request = tracer.startSpan('request');
    const { context, trace } = await import('@opentelemetry/api');
    traceOrchestrator(kit.orchestrator, {
      tracer,
      parentContext: trace.setSpan(context.active(), request),
    });
    await kit.start();
    await kit.complete('only');
    request.end();
    expect(parentOf(only('plan nested'))).toBe(request.spanContext().spanId);
  });

  it('traces a resumed plan from its restore: the plan span is marked resumed and the rerun is attempt 2', async () => {
    const plan: TestPlanSpec = { id: 'again', jobs: [{ id: 'deploy' }] };
    const store = new MemoryStore();
    const before = createTestOrchestrator(plan, { store });
    await before.start(); // deploy#1 runs when the process "dies"
    const kit = await resumeTestOrchestrator(plan, store);
    traceOrchestrator(kit.orchestrator, { tracerProvider });
    await kit.start();
    await kit.complete('deploy');

    const root = only('plan again');
    expect(root.attributes).toMatchObject({
      [ATTR.planResumed]: true,
      [ATTR.outcome]: 'completed',
    });
    expect(root.events.map((event) => event.name)).toContain('plan-restored');
    expect(only('job deploy').attributes).toMatchObject({
      [ATTR.attemptId]: 'deploy#2',
      [ATTR.outcome]: 'succeeded',
    });
  });
});
