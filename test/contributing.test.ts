import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// CONTRIBUTING.md is followed step by step: every path, script and name it gives must exist.
const root = fileURLToPath(new URL('..', import.meta.url));
const guide = readFileSync(join(root, 'CONTRIBUTING.md'), 'utf8');
const spans = [...guide.matchAll(/`([^`\n]+)`/g)].map((match) => match[1]!);
const layoutBlock = guide.slice(
  guide.indexOf('```\nmachines/'),
  guide.indexOf('```', guide.indexOf('```\nmachines/') + 3),
);

const files = ['machines', 'src', 'test'].flatMap((folder) =>
  readdirSync(join(root, folder), { recursive: true, encoding: 'utf8' })
    .filter((name) => /\.(ts|js|html)$/.test(name))
    .map((name) => join(folder, name)),
);
const source = files.map((file) => readFileSync(join(root, file), 'utf8')).join('\n');
const baseNames = new Set(files.map((file) => file.split('/').at(-1)));
const isPath = (span: string) => span.includes('/') || /\.(ts|js|md|json|html|jsonl)$/.test(span);

describe('CONTRIBUTING.md', () => {
  it('names only paths that exist', () => {
    const paths = [
      ...spans.filter((span) => /^[\w.-]+(\/[\w.-]+)*\/?$/.test(span) && isPath(span)),
      ...layoutBlock.split('\n').flatMap((line) => line.match(/^([\w.]+\/?[\w./]*)\s/)?.[1] ?? []),
    ].filter((path) => !path.startsWith('.')); // `.test.ts` is a suffix, not a file
    expect(paths.length).toBeGreaterThan(30);
    const missing = paths.filter((path) =>
      path.includes('/') ? !existsSync(join(root, path)) : !baseNames.has(path),
    );
    expect(missing).toEqual([]);
  });

  it('names only npm scripts that package.json has', () => {
    const scripts = Object.keys(
      JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts,
    );
    const named = [...guide.matchAll(/npm run ([\w:-]+)/g)].map((match) => match[1]!);
    expect(named).toContain('check:layers');
    expect(named.filter((name) => !scripts.includes(name))).toEqual([]);
  });

  it('names only identifiers, events and record types that the source has', () => {
    const names = spans
      .map((span) => span.replace(/\(\)$/, ''))
      .filter((span) => /^[A-Za-z_][\w.]*$/.test(span) || /^[a-z]+(-[a-z]+)+$/.test(span))
      .filter((span) => !isPath(span))
      .flatMap((span) => span.split('.')); // `EXIT.usage`: each part
    expect(names).toContain('RETRY_FINALIZE');
    const unknown = names.filter((name) =>
      name.includes('-')
        ? !source.includes(`'${name}'`)
        : !new RegExp(`\\b${name}\\b`).test(source),
    );
    expect(unknown).toEqual([]);
  });
});
