// Loaded with `node --import`: any import of an OpenTelemetry package fails the process, naming it.
import { register } from 'node:module';

const hooks = `export async function resolve(specifier, context, nextResolve) {
  if (specifier.startsWith('@opentelemetry/')) {
    throw new Error('OpenTelemetry loaded: ' + specifier + ' imported by ' + context.parentURL);
  }
  return nextResolve(specifier, context);
}`;

register(`data:text/javascript,${encodeURIComponent(hooks)}`);
