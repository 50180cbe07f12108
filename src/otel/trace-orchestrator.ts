import { type Context, context, type Tracer, type TracerProvider, trace } from '@opentelemetry/api';
import type { Orchestrator } from '../runtime/orchestrator.js';
import { PlanSpans } from './plan-spans.js';

/** The name of the spans' instrumentation scope, when the tracer is taken from a provider. */
export const TRACER_NAME = 'plan-orchestrator';

/** Where `traceOrchestrator` makes its spans. Every field is optional. */
export interface TraceOptions {
  /**
   * The tracer to make spans with.
   * @default a tracer named `plan-orchestrator` from `tracerProvider`
   */
  tracer?: Tracer;
  /**
   * The provider to take a tracer from, when `tracer` is not given.
   * @default the global provider, `trace.getTracerProvider()` (it makes no spans until an
   * OpenTelemetry SDK is registered)
   */
  tracerProvider?: TracerProvider;
  /**
   * The context whose span the plan's span is a child of.
   * @default the active context when `traceOrchestrator` is called
   */
  parentContext?: Context;
}

/** A plan being traced. */
export interface PlanTracing {
  /**
   * Stops tracing: every span still open ends, marked `unfinished`, at the time of the last record,
   * and later records make no spans. Calling it again does nothing. Not needed for a plan that
   * settles: its spans end with it.
   */
  stop(): void;
}

/**
 * Turns an orchestrator's records into OpenTelemetry spans: a span per plan (`plan <planId>`, the
 * root), and under it a span per job attempt (`job <jobId>`), per integration (`integrate <jobId>`)
 * and per `finalize` run, with checkpoints, commands, skips and blocks as span events. A failed
 * attempt's span has status `ERROR`, its failure kind and message. Spans are timed by the
 * records' `at` (the orchestrator's clock). Call it before `start()` to see the whole plan; every
 * span ends when the plan settles, or at `stop()`.
 *
 * @example
 * ```ts
 * const tracing = traceOrchestrator(orchestrator, { tracerProvider });
 * orchestrator.start();
 * await orchestrator.whenSettled(); // every span has ended
 * ```
 */
export function traceOrchestrator(
  orchestrator: Pick<Orchestrator, 'events$' | 'getView'>,
  options: TraceOptions = {},
): PlanTracing {
  const tracer =
    options.tracer ?? (options.tracerProvider ?? trace.getTracerProvider()).getTracer(TRACER_NAME);
  const spans = new PlanSpans(
    tracer,
    options.parentContext ?? context.active(),
    orchestrator.getView().planId,
  );
  const subscription = orchestrator.events$.subscribe({
    next: (record) => spans.add(record),
    complete: () => spans.endAll(),
    error: () => spans.endAll(),
  });
  return {
    stop() {
      subscription.unsubscribe();
      spans.endAll();
    },
  };
}
