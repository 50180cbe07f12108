/**
 * Where a value stops being plain JSON data, as a path from `root` with the reason
 * (`output.items[2]: a function`), or null when the whole value can be stored and read back as is.
 */
export function unstorablePart(value: unknown, root: string): string | null {
  const seen = new Set<object>();
  const visit = (v: unknown, path: string): string | null => {
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return null;
      case 'number':
        return Number.isFinite(v) ? null : `${path}: ${v} (JSON has no such number)`;
      case 'undefined':
        return path === root ? null : `${path}: undefined`;
      case 'function':
      case 'symbol':
      case 'bigint':
        return `${path}: a ${typeof v}`;
    }
    if (v === null) return null;
    const object = v as object;
    if (seen.has(object)) return `${path}: a circular reference`;
    const proto = Object.getPrototypeOf(object);
    if (!Array.isArray(object) && proto !== Object.prototype && proto !== null) {
      return `${path}: an instance of ${(object.constructor as { name?: string })?.name || 'a class'}`;
    }
    seen.add(object);
    // A property set to undefined is left out by JSON, which loses nothing; an array item is not.
    const entries: Array<[string, unknown]> = Array.isArray(object)
      ? object.map((item, i) => [`${path}[${i}]`, item])
      : Object.entries(object)
          .filter(([, item]) => item !== undefined)
          .map(([key, item]) => [`${path}.${key}`, item]);
    for (const [childPath, child] of entries) {
      const problem = visit(child, childPath);
      if (problem) return problem;
    }
    seen.delete(object);
    return null;
  };
  return visit(value, root);
}
