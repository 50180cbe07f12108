import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parsePlanText } from '../src/cli/plan-file.js';
import { planFileSchema } from '../src/cli/plan-schema.js';

const root = join(import.meta.dirname, '..');
const committed = JSON.parse(readFileSync(join(root, 'schema', 'plan.schema.json'), 'utf8'));
const validateSchema = new Ajv({ allErrors: true }).compile(committed);

/** What the schema says of a plan: the paths it refuses, none when it accepts it. */
function schemaErrors(plan: unknown): string[] {
  return validateSchema(plan)
    ? []
    : (validateSchema.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

/** What `validate` says of the same plan, as JSON text (a plan file's other form). */
function loaderErrors(plan: unknown): string[] {
  // Fields only: the folders a plan names (the README's `app`) need not exist here.
  const options = { environment: null, checkFolders: false };
  const loaded = parsePlanText(JSON.stringify(plan), 'plan.json', root, options);
  return loaded.ok ? [] : loaded.diagnostics.map((d) => `${d.code} ${d.message}`);
}

/** The README's YAML blocks: whole plans, or the fields of one job (indented). */
function readmePlans(): unknown[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  return [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map(([, block]) => {
    const indent = /^( *)\S/m.exec(block!)![1]!.length;
    const text = block!.replace(new RegExp(`^ {${indent}}`, 'gm'), '');
    // Merge keys merged, as the loader does.
    const value = parse(text, { merge: true });
    return indent === 0 ? value : { id: 'p', jobs: [{ id: 'j', ...value }] };
  });
}

describe('the plan file JSON Schema (schema/plan.schema.json)', () => {
  it('is what npm run schema generates from the field rules', () => {
    expect(committed).toEqual(planFileSchema());
  });

  it('accepts every example plan and every plan of the README, as validate does', () => {
    const examples = readdirSync(join(root, 'examples')).filter((f) => /\.(ya?ml|json)$/.test(f));
    expect(examples).toContain('release.yaml');
    const plans = [
      ...examples.map((f) => parse(readFileSync(join(root, 'examples', f), 'utf8'))),
      ...readmePlans(),
    ];
    expect(plans.length).toBeGreaterThanOrEqual(3);
    for (const plan of plans) {
      expect(schemaErrors(plan)).toEqual([]);
      expect(loaderErrors(plan)).toEqual([]);
    }
  });

  it('is named at the top of the example plan, for editors', () => {
    const example = readFileSync(join(root, 'examples', 'release.yaml'), 'utf8');
    expect(example.split('\n')[0]).toBe(
      '# yaml-language-server: $schema=../schema/plan.schema.json',
    );
  });

  it('refuses the wrong plans validate refuses', () => {
    const job = { id: 'a', run: { command: 'make' } };
    const wrong: Array<[string, unknown]> = [
      ['an unknown plan field', { id: 'p', maxParalel: 2, jobs: [job] }],
      ['an unknown job field', { id: 'p', jobs: [{ ...job, needs: ['b'] }] }],
      ['a bad id', { id: 'has space', jobs: [job] }],
      ['maxParallel 0', { id: 'p', maxParallel: 0, jobs: [job] }],
      ['an unknown mode', { id: 'p', mode: 'copliot', jobs: [job] }],
      ['a retry without maxAttempts', { id: 'p', jobs: [{ ...job, retry: { factor: 2 } }] }],
      ['a fractional timeout', { id: 'p', jobs: [{ ...job, timeoutMs: 1.5 }] }],
      ['a job without run', { id: 'p', jobs: [{ id: 'a' }] }],
      ['a run without command', { id: 'p', jobs: [{ id: 'a', run: { args: ['x'] } }] }],
      [
        'args with shell',
        { id: 'p', jobs: [{ id: 'a', run: { ...job.run, shell: true, args: [] } }] },
      ],
      [
        'a secret in the file',
        { id: 'p', jobs: [{ id: 'a', run: { ...job.run, env: { T: { value: 'x' } } } }] },
      ],
      ['an integration of functions', { id: 'p', integration: { order: 'strict' }, jobs: [job] }],
      ['no jobs', { id: 'p' }],
    ];
    for (const [what, plan] of wrong) {
      expect(schemaErrors(plan), what).not.toEqual([]);
      expect(loaderErrors(plan), what).not.toEqual([]);
    }
  });

  it('ships in the package', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(pkg.files).toContain('schema');
    expect(pkg.exports['./schema/plan.schema.json']).toBe('./schema/plan.schema.json');
  });
});
