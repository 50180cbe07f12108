import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli } from './run-cli.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plan-hooks-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('integration and finalize as commands', () => {
  it('integrate reporting changed=false skips the check; finalize reads any job outputs and its own are recorded', async () => {
    const file = join(dir, 'plan.yaml');
    await writeFile(
      file,
      `id: hooks
integration:
  integrate:
    command: sh
    args: [-c, 'echo "$0" >> integrated.log; [ "$0" = docs ] && echo changed=false >> "$PLAN_OUTPUT"; true', "\${{ job.id }}"]
  check:
    command: sh
    args: [-c, 'echo "$0" >> checked.log', "\${{ job.outputs.kind }}"]
finalize:
  command: sh
  args: [-c, 'echo "tag=$0-$1" >> "$PLAN_OUTPUT"', "\${{ plan.id }}", "\${{ needs.code.outputs.kind }}"]
jobs:
  - id: code
    run: { command: sh, args: [-c, 'echo kind=feature >> "$PLAN_OUTPUT"'] }
  - id: docs
    dependsOn: [code]
    run: { command: "true" }
`,
    );
    const result = await cli(['run', file, '--reporter', 'jsonl']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const records = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(
      records.filter((r) => r.type === 'job-integrated').map((r) => [r.jobId, r.changed]),
    ).toEqual([
      ['code', true],
      ['docs', false],
    ]);
    expect(await readFile(join(dir, 'integrated.log'), 'utf8')).toBe('code\ndocs\n');
    expect(await readFile(join(dir, 'checked.log'), 'utf8')).toBe('feature\n');
    expect(records.find((r) => r.type === 'finalize-succeeded').output).toEqual({
      exitCode: 0,
      outputs: { tag: 'hooks-feature' },
    });
  });

  it('reports a hook command with problems where it is written', async () => {
    const file = join(dir, 'plan.yaml');
    await writeFile(
      file,
      `id: bad-hooks
integration:
  integrate: { comand: git }
  order: stric
finalize: merge
jobs:
  - id: a
    run: { command: "true" }
`,
    );
    const result = await cli(['validate', file]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([
      `${file}:3:14 error INVALID_RUN command must be a non-empty string; got undefined`,
      `${file}:3:16 error INVALID_RUN unknown field "comand"; did you mean "command"?`,
      `${file}:4:10 error INVALID_OPTION integration.order must be one of "strict", "completion"; got "stric" (string); did you mean "strict"?`,
      `${file}:5:11 error INVALID_RUN finalize must be an object such as { command: "make", args: ["test"] }; got "merge" (string)`,
    ]);
  });
});
