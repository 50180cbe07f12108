/**
 * Traffic from `@statelyai/inspect` (`createWebSocketInspector`) in any XState v5 app, reduced to
 * what the page lists: which actors exist, their state, and the events they receive.
 */
export type ExternalEntry =
  | { kind: 'actor'; sessionId: string; machineId: string | null; parentId: string | null }
  | { kind: 'snapshot'; sessionId: string; value: unknown; status: string | null }
  | { kind: 'event'; sessionId: string; sourceId: string | null; eventType: string };

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

function machineIdOf(definition: unknown): string | null {
  if (typeof definition !== 'string') return null;
  try {
    return text((JSON.parse(definition) as { id?: unknown }).id);
  } catch {
    return null;
  }
}

/** The entry for one inspection message, or the reason it is not one. */
export function toExternalEntry(data: string): ExternalEntry | { problem: string } {
  let message: Record<string, unknown>;
  try {
    message = JSON.parse(data);
  } catch {
    return { problem: 'not JSON' };
  }
  const sessionId = text(message?.sessionId);
  if (sessionId === null) return { problem: 'no sessionId' };
  switch (message.type) {
    case '@xstate.actor':
      return {
        kind: 'actor',
        sessionId,
        machineId: machineIdOf(message.definition),
        parentId: text(message.parentId),
      };
    case '@xstate.snapshot': {
      const snapshot = (message.snapshot ?? {}) as { value?: unknown; status?: unknown };
      return { kind: 'snapshot', sessionId, value: snapshot.value, status: text(snapshot.status) };
    }
    case '@xstate.event': {
      const eventType = text((message.event as { type?: unknown } | undefined)?.type);
      if (eventType === null) return { problem: 'an event without a type' };
      return { kind: 'event', sessionId, sourceId: text(message.sourceId), eventType };
    }
    default:
      return { problem: `unknown message type ${JSON.stringify(message.type)}` };
  }
}
