import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const readJson = async (file: string) => JSON.parse(await readFile(join(root, file), 'utf8'));

describe('the API reference', () => {
  it('documents exactly the entries package.json exports', async () => {
    const pkg = (await readJson('package.json')) as {
      exports: Record<string, string | { types?: string }>;
    };
    const typedoc = (await readJson('typedoc.json')) as { entryPoints: string[] };
    const exported = Object.values(pkg.exports)
      .flatMap((target) => (typeof target === 'object' && target.types ? [target.types] : []))
      .map((types) => types.replace(/^\.\/dist\//, '').replace(/\.d\.ts$/, '.ts'));
    expect(exported.sort()).toEqual([...typedoc.entryPoints].sort());
  });
});
