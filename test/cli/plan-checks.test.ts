import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parsePlanText } from '../../src/cli/plan-file.js';
import { PLAN_LIMITS } from '../../src/plan/limits.js';
import { cli } from './run-cli.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plan-checks-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function planFile(name: string, plan: unknown): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, typeof plan === 'string' ? plan : JSON.stringify(plan, null, 2));
  return file;
}

/** `validate` of a plan file of these lines: the file, the exit code and the lines on stderr. */
async function validateLines(name: string, lines: string[]) {
  const file = await planFile(name, [...lines, ''].join('\n'));
  const { code, stderr } = await cli(['validate', file]);
  return { file, code, errors: stderr.trim().split('\n') };
}

const echo = (args: string[], extra: Record<string, unknown> = {}) => ({
  command: process.execPath,
  args: ['-e', 'console.log(process.argv.length)', ...args],
  ...extra,
});

describe('a YAML alias bomb', () => {
  it('is refused with exit 2 and the position of the alias that went over the limit', async () => {
    const levels = ['a', 'b', 'c', 'd', 'e', 'f'];
    const lines = levels.map((name, i) => {
      const items = i === 0 ? Array(9).fill('"lol"') : Array(9).fill(`*${levels[i - 1]}`);
      return `${name}: &${name} [${items.join(', ')}]`;
    });
    const file = await planFile('bomb.yaml', ['id: bomb', ...lines, 'jobs: []', ''].join('\n'));
    for (const command of ['validate', 'run']) {
      const result = await cli([command, file]);
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(
        `${file}:5:8 error YAML_ALIAS_COUNT alias *c expands the file past 100 alias uses (counting aliases inside anchors as many times as they are repeated): write the values out, or nest fewer aliases\n`,
      );
    }
  });
});

describe('env of a shell job', () => {
  it('refuses names that are empty or hold "=" or a line break, and values holding NUL, at their keys', async () => {
    const file = await planFile('env.json', {
      id: 'env',
      jobs: [
        {
          id: 'a',
          run: echo([], {
            env: { 'A=B': 'x', '': 'y', 'LINE\nBREAK': 'z', GOOD: 'nul\u0000here' },
          }),
        },
      ],
    });
    const result = await cli(['run', file]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const rule = 'is not usable: a name must be non-empty and hold no "=", NUL or line break';
    expect(result.stderr.trim().split('\n')).toEqual([
      `${file}:13:11 error INVALID_RUN env name "A=B" ${rule}`,
      `${file}:14:11 error INVALID_RUN env name "" ${rule}`,
      `${file}:15:11 error INVALID_RUN env name "LINE\\nBREAK" ${rule}`,
      `${file}:16:19 error INVALID_RUN env "GOOD" holds a NUL character, which no process can receive`,
    ]);
  });
});

describe('cwd of a shell job', () => {
  it('accepts a folder named ..foo inside the plan folder and runs there', async () => {
    await mkdir(join(dir, '..foo'));
    const file = await planFile('dots.json', {
      id: 'dots',
      jobs: [
        { id: 'a', run: { ...echo([]), args: ['-e', 'console.log(process.cwd())'], cwd: '..foo' } },
      ],
    });
    const result = await cli(['run', file, '--reporter', 'plain']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`a | ${join(dir, '..foo')}`);
  });

  it('refuses a symlink that leads outside the plan folder, naming where it leads', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'plan-outside-'));
    try {
      await symlink(outside, join(dir, 'link'));
      const file = await planFile('link.json', {
        id: 'link',
        jobs: [
          { id: 'a', run: echo([], { cwd: 'link' }) },
          { id: 'b', run: echo([], { cwd: 'link/not-yet' }) },
        ],
      });
      const result = await cli(['validate', file]);
      expect(result.code).toBe(2);
      expect(result.stderr.trim().split('\n')).toEqual([
        `${file}:12:16 error INVALID_RUN cwd "link" is outside the plan's folder (it leads to ${outside}); pass --allow-outside-cwd to allow it`,
        `${file}:23:16 error INVALID_RUN cwd "link/not-yet" is outside the plan's folder (it leads to ${join(outside, 'not-yet')}); pass --allow-outside-cwd to allow it`,
      ]);
      // Allowed outside, the folder must still be there.
      const allowed = await cli(['validate', file, '--allow-outside-cwd']);
      expect(allowed.code).toBe(2);
      expect(allowed.stderr).toBe(
        `${file}:23:16 error INVALID_RUN job "b": cwd "link/not-yet" is not a folder: ${join(dir, 'link', 'not-yet')} does not exist; create it before the plan runs, or correct the path\n`,
      );
      await mkdir(join(outside, 'not-yet'));
      expect((await cli(['validate', file, '--allow-outside-cwd'])).code).toBe(0);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });
});

describe('verify of a shell job', () => {
  it('is reported once when wrong, as the command it is, not again as "must be a function"', async () => {
    const { file, code, errors } = await validateLines('verify.yaml', [
      'id: p',
      'jobs:',
      '  - id: a',
      '    run: { command: "true" }',
      '    verify: { comand: x }',
    ]);
    expect(code).toBe(2);
    expect(errors).toEqual([
      `${file}:5:13 error INVALID_RUN command must be a non-empty string; got undefined`,
      `${file}:5:15 error INVALID_RUN unknown field "comand"; did you mean "command"?`,
    ]);
  });
});

describe('plan size limits', () => {
  it('refuses a plan file over the size limit before reading it, with the size and the limit', async () => {
    const file = join(dir, 'huge.yaml');
    // Not even YAML: only the size is looked at.
    await writeFile(file, Buffer.alloc(PLAN_LIMITS.fileBytes + 1, '['));
    const result = await cli(['validate', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `${file}:1:1 error PLAN_TOO_LARGE the file is 4,194,305 bytes (4.0 MiB); the limit is 4,194,304 bytes (4.0 MiB): split the plan into plans that run one after another\n`,
    );
  });

  it('warns about a plan file close to the size limit and accepts it', async () => {
    const name = 'n'.repeat(PLAN_LIMITS.fileBytes - 100);
    const file = await planFile('near.yaml', `id: near\nname: "${name}"\njobs: []\n`);
    const result = await cli(['validate', file]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      /^.*near\.yaml:1:1 warning PLAN_NEAR_LIMIT the file is 4,194,2\d\d bytes \(4\.0 MiB\), close to the limit of 4,194,304 bytes \(4\.0 MiB\)\n$/,
    );
  });

  it('refuses an argument over 128 KiB before anything runs, and warns about one close to it', async () => {
    const file = await planFile('args.json', {
      id: 'args',
      jobs: [
        { id: 'over', run: echo(['x'.repeat(PLAN_LIMITS.argumentBytes + 1)]) },
        { id: 'near', run: echo(['y'.repeat(PLAN_LIMITS.argumentBytes - 1)]) },
      ],
    });
    const result = await cli(['run', file]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /args\.json:\d+:\d+ error PLAN_TOO_LARGE argument 3 is 131,072 bytes \(128\.0 KiB\); the limit is 131,071 bytes \(128\.0 KiB\): pass large data through a file instead$/,
      ),
      expect.stringMatching(
        /args\.json:\d+:\d+ warning PLAN_NEAR_LIMIT argument 3 is 131,070 bytes \(128\.0 KiB\), close to the limit of 131,071 bytes \(128\.0 KiB\)$/,
      ),
    ]);
  });

  it('runs a job whose argument is just under the limit, after a warning', async () => {
    const file = await planFile('near-arg.json', {
      id: 'near-arg',
      jobs: [{ id: 'near', run: echo(['y'.repeat(PLAN_LIMITS.argumentBytes)]) }],
    });
    const result = await cli(['run', file, '--reporter', 'plain']);
    expect(result.stderr).toMatch(/warning PLAN_NEAR_LIMIT argument 3 is 131,071 bytes/);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('near | 2');
  });

  it('refuses a command line and env over 1 MiB in total, which spawn would refuse with E2BIG', async () => {
    const chunk = 'z'.repeat(90_000);
    const file = await planFile('total.json', {
      id: 'total',
      jobs: [
        { id: 'over', run: echo(Array(11).fill(chunk), { env: { BIG: chunk } }) },
        { id: 'near', run: echo(Array(9).fill(chunk)) },
      ],
    });
    const result = await cli(['validate', file]);
    expect(result.code).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /error PLAN_TOO_LARGE the command line with its env is 1,080,\d{3} bytes \(1\.0 MiB\); the limit is 1,048,576 bytes \(1\.0 MiB\): pass large data through a file instead$/,
    );
    expect(lines[1]).toMatch(
      /warning PLAN_NEAR_LIMIT the command line with its env is 810,\d{3} bytes \(\d+\.\d KiB\), close to the limit of 1,048,576 bytes \(1\.0 MiB\)$/,
    );
  });
});

describe('parsePlanText (the loader behind the commands)', () => {
  it('says once what a plan must be when the file holds a string or a list', () => {
    for (const [text, shown] of [
      ['"just a string"', '"just a string" (string)'],
      ['- 1\n- 2', '[1, 2] (array)'],
    ] as const) {
      const loaded = parsePlanText(text, 'plan.yaml', dir);
      expect(loaded.ok ? [] : loaded.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([
        `INVALID_PLAN A plan must be an object with an id and a jobs array; got ${shown}`,
      ]);
    }
  });

  it('gives diagnostics, never a throw, for an alias bomb, bad env entries and a cwd leaving the folder', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'plan-outside-'));
    try {
      await symlink(outside, join(dir, 'out'));
      await mkdir(join(dir, '..inside'));
      const bomb = ['id: p', 'a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]'];
      for (const name of ['b', 'c', 'd']) {
        const previous = String.fromCharCode(name.charCodeAt(0) - 1);
        bomb.push(`${name}: &${name} [${Array(11).fill(`*${previous}`).join(', ')}]`);
      }
      const bombed = parsePlanText([...bomb, 'jobs: []'].join('\n'), 'bomb.yaml', dir);
      expect(bombed).toMatchObject({
        ok: false,
        diagnostics: [{ code: 'YAML_ALIAS_COUNT', line: 4 }],
      });

      const plan = (run: Record<string, unknown>) =>
        JSON.stringify({ id: 'p', jobs: [{ id: 'a', run: { command: 'true', ...run } }] });
      const problems = (text: string) => {
        const loaded = parsePlanText(text, 'plan.json', dir);
        return loaded.ok ? [] : loaded.diagnostics.map((d) => `${d.code} ${d.message}`);
      };
      expect(problems(plan({ env: { 'X=Y': '1', Z: 'a\u0000b', OK: 'fine' } }))).toEqual([
        expect.stringMatching(/^INVALID_RUN env name "X=Y" is not usable: /),
        expect.stringMatching(/^INVALID_RUN env "Z" holds a NUL character/),
      ]);
      expect(
        problems(
          JSON.stringify({
            id: 'p',
            jobs: [
              { id: 'a', run: { command: 'e\u0000cho', args: ['ok', 'a\u0000b'], cwd: 'x\u0000' } },
            ],
          }),
        ),
      ).toEqual([
        'INVALID_RUN command holds a NUL character, which no process can receive; remove it',
        'INVALID_RUN args[1] holds a NUL character, which no process can receive; remove it',
        'INVALID_RUN cwd holds a NUL character, which no path can hold; remove it',
      ]);
      expect(problems(plan({ cwd: '..inside' }))).toEqual([]);
      expect(problems(plan({ cwd: 'out' }))).toEqual([
        `INVALID_RUN cwd "out" is outside the plan's folder (it leads to ${outside}); pass --allow-outside-cwd to allow it`,
      ]);
      const allowed = parsePlanText(plan({ cwd: 'out' }), 'plan.json', dir, {
        allowOutsideCwd: true,
      });
      expect(allowed.ok).toBe(true);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });
});

describe('plans as people write them, from other tools', () => {
  it('lists the problems of a plan in the order of the file, whatever order they were found in', async () => {
    const text = [
      'id: p',
      'jobs:',
      '  - id: a',
      '    run: { command: "true", shel: true }',
      '  - id: b',
      '    dependsOn: [c]',
      '    run: { command: "true" }',
      'maxParallel: 0',
      '',
    ];
    const file = await planFile('order.yaml', text.join('\n'));
    for (const command of ['validate', 'run']) {
      const result = await cli([command, file]);
      expect(result.code).toBe(2);
      expect(
        result.stderr
          .trim()
          .split('\n')
          .map((line) => line.split(' ')[0]),
      ).toEqual([`${file}:4:29`, `${file}:6:17`, `${file}:8:14`]);
    }
  });

  it('refuses a JSON plan with a trailing comma, at the comma', async () => {
    const text =
      '{\n  "id": "p",\n  "jobs": [\n    { "id": "a", "run": { "command": "true" } },\n  ]\n}\n';
    const file = await planFile('comma.json', text);
    for (const command of ['validate', 'run']) {
      const result = await cli([command, file]);
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(
        `${file}:4:48 error JSON_SYNTAX trailing comma: JSON allows none after the last item of an object or list; remove it\n`,
      );
    }
    // The same text is fine YAML, where a trailing comma in a flow collection is allowed.
    const yaml = await planFile('comma.yaml', text);
    expect((await cli(['validate', yaml])).code).toBe(0);
  });

  it('suggests dependsOn for needs, retry for retries and cwd for working-directory', async () => {
    const { file, code, errors } = await validateLines('actions.yaml', [
      'id: p',
      'jobs:',
      '  - id: a',
      '    run: { command: "true" }',
      '  - id: b',
      '    needs: [a]',
      '    retries: 2',
      '    run: { command: "true", working-directory: . }',
    ]);
    expect(code).toBe(2);
    expect(errors).toEqual([
      `${file}:6:5 error INVALID_OPTION unknown field "needs"; did you mean "dependsOn"?`,
      `${file}:7:5 error INVALID_OPTION unknown field "retries"; did you mean "retry"?`,
      `${file}:8:29 error INVALID_RUN unknown field "working-directory"; did you mean "cwd"?`,
    ]);
  });

  it('refuses a cwd that names no folder before anything runs, naming the job, the path and the folder', async () => {
    const marker = join(dir, 'ran');
    const file = await planFile('cwd.json', {
      id: 'cwd',
      jobs: [
        {
          id: 'first',
          run: echo([], {
            args: ['-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, '')`],
          }),
        },
        { id: 'build', dependsOn: ['first'], run: echo([], { cwd: 'out/app' }) },
      ],
    });
    const message = `error INVALID_RUN job "build": cwd "out/app" is not a folder: ${join(dir, 'out', 'app')} does not exist; create it before the plan runs, or correct the path`;
    for (const command of ['validate', 'run']) {
      const reporter = command === 'run' ? ['--reporter', 'plain'] : [];
      const result = await cli([command, file, ...reporter]);
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(`${file}:25:16 ${message}\n`);
      expect(result.stderr).not.toContain('Command not found');
    }
    await expect(readFile(marker)).rejects.toThrow();
    await mkdir(join(dir, 'out', 'app'), { recursive: true });
    expect((await cli(['run', file, '--reporter', 'plain'])).code).toBe(0);
  });
});
