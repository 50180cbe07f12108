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

/** Text that stands for something JSON cannot hold; a rendering shows it unquoted. */
class Bare {
  constructor(readonly text: string) {}
}

/**
 * Walks a value the way both `toJsonSafe` and `renderValue` need, never throwing: `bare` turns
 * what JSON cannot hold (a BigInt, a Symbol, a cycle, an unreadable property) into a leaf.
 */
function safeTree(value: unknown, limits: SafeLimits, bare: (text: string) => unknown): unknown {
  const { depth: maxDepth, entries: maxEntries, stringChars } = limits;
  const ancestors = new Set<object>();
  const unreadable = () => bare('[unreadable]');
  const visit = (v: unknown, depth: number): unknown => {
    if (v === null || typeof v === 'boolean') return v;
    if (typeof v === 'string') return clip(v, stringChars);
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    const text = primitiveText(v);
    if (text !== null) return bare(text);
    const object = v as object;
    if (ancestors.has(object)) return bare('[Circular]');
    if (depth >= maxDepth)
      return bare(guarded(() => (Array.isArray(object) ? '[…]' : '{…}'), '{…}'));
    ancestors.add(object);
    try {
      if (guarded(() => Array.isArray(object), false)) {
        const items = object as unknown[];
        const length = guarded(() => items.length, 0);
        const out: unknown[] = [];
        for (let i = 0; i < Math.min(length, maxEntries); i++) {
          out.push(guarded(() => visit(items[i], depth + 1) ?? null, unreadable()));
        }
        if (length > maxEntries) out.push(bare(`… ${length - maxEntries} more`));
        return out;
      }
      if (guarded(() => object instanceof Date, false)) {
        return guarded(() => (object as Date).toISOString(), 'Invalid Date');
      }
      const out: Record<string, unknown> = {};
      const record = object as Record<string, unknown>;
      if (guarded(() => object instanceof Error, false)) {
        out.name = guarded(() => String(record.name), 'Error');
        out.message = guarded(() => String(record.message), '[unreadable]');
      }
      const keys = keysOf(object);
      for (const key of keys.slice(0, maxEntries)) {
        const read = guarded(() => ({ item: record[key] }), null);
        if (read === null) out[key] = unreadable();
        else if (read.item !== undefined) {
          out[key] = guarded(() => visit(read.item, depth + 1), unreadable());
        }
      }
      if (keys.length > maxEntries) out['…'] = bare(`${keys.length - maxEntries} more keys`);
      return out;
    } finally {
      ancestors.delete(object);
    }
  };
  return guarded(() => visit(value, 0), unreadable());
}

/**
 * The value as JSON data: primitives kept, BigInt as `"10n"`, a Symbol or function as text,
 * a repeated object as `"[Circular]"`, an Error as its name, message and fields, a property whose
 * getter throws as `"[unreadable]"`. `toJSON` is never called: it is user code that may throw.
 */
export function toJsonSafe(value: unknown, limits: SafeLimits = SUMMARY): JsonValue {
  return safeTree(value, limits, (text) => text) as JsonValue;
}

/** A walked value as a short, readable line: `{ code: 42, total: 10n, self: [Circular] }`. */
function renderTree(tree: unknown): string {
  if (tree instanceof Bare) return tree.text;
  if (tree === null || typeof tree !== 'object') return JSON.stringify(tree);
  if (Array.isArray(tree)) return `[${tree.map(renderTree).join(', ')}]`;
  const entries = Object.entries(tree).map(([key, item]) => {
    const name = /^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key);
    return `${name}: ${renderTree(item)}`;
  });
  return entries.length > 0 ? `{ ${entries.join(', ')} }` : '{}';
}

/**
 * Any value as one readable line, the way a person would want it in a message: strings as they
 * are, `10n`, `Symbol(id)`, `null`, `{ code: 42, self: [Circular] }`. At most 200 characters.
 */
export function renderValue(value: unknown): string {
  if (typeof value === 'string') return clip(value, MAX_RENDERING);
  return clip(renderTree(safeTree(value, SUMMARY, (text) => new Bare(text))), MAX_RENDERING);
}
