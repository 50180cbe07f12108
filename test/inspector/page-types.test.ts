import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

describe("the inspector page's script", () => {
  it("is checked by the typecheck against the types of the server's feed", () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(pkg.scripts.typecheck).toContain('tsc -p tsconfig.page.json');
    const page = readFileSync(join(root, 'src', 'inspector', 'page', 'app.js'), 'utf8');
    expect(page.startsWith('// @ts-check\n')).toBe(true);
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const listed = execFileSync(
      process.execPath,
      [tsc, '-p', 'tsconfig.page.json', '--listFilesOnly'],
      {
        cwd: root,
        encoding: 'utf8',
      },
    );
    const files = listed.split('\n').map((file) => relative(root, file));
    expect(files).toContain('src/inspector/page/app.js');
    expect(files).toContain('src/inspector/feed.ts');
  });
});
