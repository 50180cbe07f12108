/**
 * Turns any value user code threw, rejected with or returned into something that can be logged,
 * stored and sent as JSON, without ever throwing: BigInts, Symbols, cycles, Proxies, getters and
 * `toJSON`s that throw are all rendered instead of trusted. Bounded, so a huge value stays cheap.
 */

/** Plain JSON data. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue };

/** How much of a value is kept: a thrown value is summarised, a message is kept whole. */
export interface SafeLimits {
  depth: number;
  entries: number;
  stringChars: number;
}

const SUMMARY: SafeLimits = { depth: 4, entries: 50, stringChars: 2000 };
const MAX_RENDERING = 200;
/** Stand-ins `toJsonSafe` writes, shown bare in a rendering. */
const MARKERS = new Set(['[Circular]', '[unreadable]']);

/** Runs `read`, or gives `fallback` when it throws (a getter, a Proxy trap, a revoked Proxy). */
export function guarded<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}

const clip = (text: string, max: number): string =>
  text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;

/** A primitive that JSON cannot hold, as text: `10n`, `Symbol(id)`, `NaN`, `[function f]`. */
function primitiveText(value: unknown): string | null {
  switch (typeof value) {
    case 'bigint':
      return `${value.toString()}n`;
    case 'symbol':
      return value.toString();
    case 'function':
      return value.name ? `[function ${value.name}]` : '[function]';
    case 'undefined':
      return 'undefined';
    case 'number':
      return Number.isFinite(value) ? null : String(value);
    default:
      return null;
  }
}

/** The own enumerable keys of an object, or none when they cannot be listed. */
const keysOf = (value: object): string[] => guarded(() => Object.keys(value), []);

/**
 * The value as JSON data: primitives kept, BigInt as `"10n"`, a Symbol or function as text,
 * a repeated object as `"[Circular]"`, an Error as its name, message and fields, a property whose
 * getter throws as `"[unreadable]"`. `toJSON` is never called: it is user code that may throw.
 */
export function toJsonSafe(value: unknown, limits: SafeLimits = SUMMARY): JsonValue {
  const { depth: MAX_DEPTH, entries: MAX_ENTRIES, stringChars: MAX_STRING } = limits;
  const ancestors = new Set<object>();
  const visit = (v: unknown, depth: number): JsonValue => {
    if (v === null || typeof v === 'boolean') return v;
    if (typeof v === 'string') return clip(v, MAX_STRING);
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    const text = primitiveText(v);
    if (text !== null) return text;
    const object = v as object;
    if (ancestors.has(object)) return '[Circular]';
    if (depth >= MAX_DEPTH) return guarded(() => (Array.isArray(object) ? '[…]' : '{…}'), '{…}');
    ancestors.add(object);
    try {
      if (guarded(() => Array.isArray(object), false)) {
        const items = object as unknown[];
        const length = guarded(() => items.length, 0);
        const out: JsonValue[] = [];
        for (let i = 0; i < Math.min(length, MAX_ENTRIES); i++) {
          out.push(guarded(() => visit(items[i], depth + 1) ?? null, '[unreadable]'));
        }
        if (length > MAX_ENTRIES) out.push(`… ${length - MAX_ENTRIES} more`);
        return out;
      }
      if (guarded(() => object instanceof Date, false)) {
        return guarded(() => (object as Date).toISOString(), 'Invalid Date');
      }
      const out: { [key: string]: JsonValue } = {};
      const record = object as Record<string, unknown>;
      if (guarded(() => object instanceof Error, false)) {
        out.name = guarded(() => String(record.name), 'Error');
        out.message = guarded(() => String(record.message), '[unreadable]');
      }
      const keys = keysOf(object);
      for (const key of keys.slice(0, MAX_ENTRIES)) {
        const item = guarded(() => record[key], '[unreadable]' as unknown);
        if (item !== undefined) out[key] = guarded(() => visit(item, depth + 1), '[unreadable]');
      }
      if (keys.length > MAX_ENTRIES) out['…'] = `${keys.length - MAX_ENTRIES} more keys`;
      return out;
    } finally {
      ancestors.delete(object);
    }
  };
  return guarded(() => visit(value, 0), '[unreadable]');
}

/** JSON data as a short, readable line: `{ code: 42 }`, `[1, "a"]`, `"[Circular]"`. */
function renderData(data: JsonValue): string {
  if (typeof data === 'string' && MARKERS.has(data)) return data;
  if (data === null || typeof data !== 'object') return JSON.stringify(data);
  if (Array.isArray(data)) return `[${data.map(renderData).join(', ')}]`;
  const entries = Object.entries(data).map(([key, item]) => {
    const name = /^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key);
    return `${name}: ${renderData(item)}`;
  });
  return entries.length > 0 ? `{ ${entries.join(', ')} }` : '{}';
}

/**
 * Any value as one readable line, the way a person would want it in a message: strings as they
 * are, `10n`, `Symbol(id)`, `null`, `{ code: 42, self: "[Circular]" }`. At most 200 characters.
 */
export function renderValue(value: unknown): string {
  if (typeof value === 'string') return clip(value, MAX_RENDERING);
  const text = primitiveText(value);
  if (text !== null) return text;
  return clip(renderData(toJsonSafe(value)), MAX_RENDERING);
}
