/**
 * OpenTelemetry tracing for plan-orchestrator: `traceOrchestrator` turns a plan's records into
 * spans. This entry, `plan-orchestrator/otel`, is the only one that loads `@opentelemetry/api`
 * (an optional peer dependency): the main entry never does.
 *
 * @module plan-orchestrator/otel
 */
export { ATTR } from './attributes.js';
export {
  type PlanTracing,
  TRACER_NAME,
  type TraceOptions,
  traceOrchestrator,
} from './trace-orchestrator.js';
