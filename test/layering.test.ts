import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  findImportCircles,
  findImpureMachineImports,
  findUnplacedFiles,
  findUpwardImports,
  type ImportGraph,
  readImportGraph,
} from './support/layers.js';

// Run alone with `npm run check:layers`; the layer order is in test/support/layers.ts.
const root = fileURLToPath(new URL('..', import.meta.url));
const source = readImportGraph(root, ['machines', 'src']);

describe('layering of the source', () => {
  it('every source file belongs to a layer', () => {
    expect([...source.keys()]).toContain('machines/plan.machine.ts');
    expect([...source.keys()]).toContain('src/index.ts');
    expect(findUnplacedFiles(source)).toEqual([]);
  });

  it('no source file imports from a layer above its own or beside it', () => {
    expect(findUpwardImports(source)).toEqual([]);
  });

  it('no source files import each other, directly or through others', () => {
    expect(findImportCircles(source)).toEqual([]);
  });

  it('machines import no package but xstate', () => {
    expect(findImpureMachineImports(source)).toEqual([]);
  });
});

describe('the layering check', () => {
  const graph: ImportGraph = new Map([
    [
      'src/plan/validate.ts',
      [{ specifier: '../runtime/errors.js', target: 'src/runtime/errors.ts' }],
    ],
    ['src/runtime/errors.ts', []],
    ['src/cli/main.ts', [{ specifier: '../testing/index.js', target: 'src/testing/index.ts' }]],
    ['src/testing/index.ts', []],
    ['src/persistence/store.ts', [{ specifier: './fold.js', target: 'src/persistence/fold.ts' }]],
    [
      'src/persistence/fold.ts',
      [
        { specifier: './store.js', target: 'src/persistence/store.ts' },
        { specifier: '../shared/errors.js', target: 'src/shared/errors.ts' },
      ],
    ],
    ['machines/job.machine.ts', [{ specifier: 'node:fs', target: null }]],
    ['src/extra/thing.ts', []],
  ]);

  it('names the file and the import that points up or sideways', () => {
    expect(findUpwardImports(graph)).toEqual([
      "src/plan/validate.ts imports '../runtime/errors.js': src/plan (layer 2) may import only layers below it, and src/runtime is layer 4",
      "src/cli/main.ts imports '../testing/index.js': src/cli (layer 8) may import only layers below it, and src/testing is layer 8",
    ]);
  });

  it('names the files of a circle in import order', () => {
    expect(findImportCircles(graph)).toEqual([
      'src/persistence/store.ts → src/persistence/fold.ts → src/persistence/store.ts',
    ]);
  });

  it('names a machine that imports a package other than xstate', () => {
    expect(findImpureMachineImports(graph)).toEqual([
      "machines/job.machine.ts imports 'node:fs': machines/ may import only xstate",
    ]);
  });

  it('names a file in a folder that has no layer', () => {
    expect(findUnplacedFiles(graph)).toEqual(['src/extra/thing.ts']);
  });
});
