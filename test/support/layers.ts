import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import ts from 'typescript';

/**
 * The layers of the source, lowest first. A file may import its own folder and any layer below
 * its own, never one above or beside it. CONTRIBUTING.md explains the order.
 */
export const LAYERS: readonly (readonly string[])[] = [
  ['machines'],
  ['src/shared'],
  ['src/plan'],
  ['src/persistence'],
  ['src/runtime'],
  ['src/remote'],
  ['src/observe'],
  ['src/inspector'],
  ['src/cli', 'src/testing', 'src/otel'],
  ['src/index.ts'],
];

/** The only packages a machine may import: the statecharts stay pure, with no I/O. */
export const MACHINE_PACKAGES: ReadonlySet<string> = new Set(['xstate']);

export interface SourceImport {
  /** As written in the file, e.g. `../shared/errors.js`. */
  specifier: string;
  /** The imported source file relative to the root, for a relative specifier; else null. */
  target: string | null;
}

/** Every TypeScript file under `folders`, with what it imports (type-only imports included). */
export type ImportGraph = ReadonlyMap<string, readonly SourceImport[]>;

export function readImportGraph(root: string, folders: readonly string[]): ImportGraph {
  const graph = new Map<string, SourceImport[]>();
  for (const file of folders.flatMap((folder) => typeScriptFiles(root, folder))) {
    const text = readFileSync(join(root, file), 'utf8');
    const { importedFiles } = ts.preProcessFile(text, true, true);
    graph.set(
      file,
      importedFiles.map(({ fileName: specifier }) => ({
        specifier,
        target: specifier.startsWith('.')
          ? normalize(join(dirname(file), specifier)).replace(/\.js$/, '.ts')
          : null,
      })),
    );
  }
  return graph;
}

function typeScriptFiles(root: string, folder: string): string[] {
  return readdirSync(join(root, folder), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))
    .map((name) => relative(root, join(root, folder, name)))
    .sort();
}

/** The layer a file belongs to: the index in LAYERS and the folder that placed it there. */
export function layerOf(file: string): { rank: number; folder: string } | null {
  for (const [rank, folders] of LAYERS.entries()) {
    const folder = folders.find((f) => file === f || file.startsWith(`${f}/`));
    if (folder !== undefined) return { rank, folder };
  }
  return null;
}

/** Files outside every layer: a new folder must be given its place in LAYERS. */
export function findUnplacedFiles(graph: ImportGraph): string[] {
  return [...graph.keys()].filter((file) => layerOf(file) === null);
}

/** Each import that points to a higher layer or sideways to another folder of the same layer. */
export function findUpwardImports(graph: ImportGraph): string[] {
  const found: string[] = [];
  for (const [file, imports] of graph) {
    const from = layerOf(file);
    for (const { specifier, target } of imports) {
      const to = target === null ? null : layerOf(target);
      if (!from || !to || from.folder === to.folder || to.rank < from.rank) continue;
      found.push(
        `${file} imports '${specifier}': ${from.folder} (layer ${from.rank}) may import only ` +
          `layers below it, and ${to.folder} is layer ${to.rank}`,
      );
    }
  }
  return found;
}

/** Each package import of a machine other than MACHINE_PACKAGES. */
export function findImpureMachineImports(graph: ImportGraph): string[] {
  const found: string[] = [];
  for (const [file, imports] of graph) {
    if (layerOf(file)?.folder !== 'machines') continue;
    for (const { specifier, target } of imports) {
      if (target === null && !MACHINE_PACKAGES.has(specifier)) {
        found.push(`${file} imports '${specifier}': machines/ may import only xstate`);
      }
    }
  }
  return found;
}

/**
 * One circle per group of files that import each other (directly or through others), written as
 * the path around it: `a.ts → b.ts → a.ts`. Groups are found with Tarjan's algorithm.
 */
export function findImportCircles(graph: ImportGraph): string[] {
  const next = (file: string) =>
    (graph.get(file) ?? []).flatMap(({ target }) =>
      target !== null && graph.has(target) ? [target] : [],
    );
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[] = [];

  const visit = (file: string): void => {
    index.set(file, index.size);
    low.set(file, index.get(file)!);
    stack.push(file);
    onStack.add(file);
    for (const to of next(file)) {
      if (!index.has(to)) {
        visit(to);
        low.set(file, Math.min(low.get(file)!, low.get(to)!));
      } else if (onStack.has(to)) {
        low.set(file, Math.min(low.get(file)!, index.get(to)!));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const group = new Set<string>();
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      group.add(member);
    } while (member !== file);
    const loop = next(file).includes(file);
    if (group.size > 1 || loop) circles.push(pathAround(file, group, next).join(' → '));
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return circles;
}

/** The shortest path from `start` back to itself inside `group` (breadth first). */
function pathAround(
  start: string,
  group: ReadonlySet<string>,
  next: (file: string) => string[],
): string[] {
  const cameFrom = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift()!;
    for (const to of next(file)) {
      if (!group.has(to) || cameFrom.has(to)) continue;
      cameFrom.set(to, file);
      if (to === start) {
        const path = [start];
        for (let at = file; at !== start; at = cameFrom.get(at)!) path.unshift(at);
        return [start, ...path];
      }
      queue.push(to);
    }
  }
  return [start, start];
}
