import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { parsePlanText } from '../../src/cli/plan-file.js';
import { cli } from './run-cli.js';

/** The variable the plans take their secret from; the test process passes it to the command. */
const VARIABLE = 'PLAN_ORCHESTRATOR_TEST_API_TOKEN';
const TOKEN = `tok-${randomUUID()}`;
const TOKEN_BASE64 = Buffer.from(TOKEN).toString('base64');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plan-secrets-'));
  process.env[VARIABLE] = TOKEN;
});
afterEach(async () => {
  delete process.env[VARIABLE];
  await rm(dir, { recursive: true, force: true });
});

/**
 * `leak` prints the secret it was given (as is, on stderr, and base64 encoded); `gate` (when
 * asked for) prints it through the variable it inherited, then fails, so the plan pauses.
 */
async function planFile(options: { gate?: boolean; lines?: number } = {}) {
  const file = join(dir, 'plan.yaml');
  const jobs = [
    '  - id: leak',
    '    run:',
    '      shell: true',
    `      command: 'for i in $(seq ${options.lines ?? 1}); do echo "token=$API_TOKEN"; done; echo "$API_TOKEN" >&2; printf %s "$API_TOKEN" | base64'`,
    '      env:',
    `        API_TOKEN: { fromEnv: ${VARIABLE} }`,
    ...(options.gate
      ? [
          '  - id: gate',
          '    dependsOn: [leak]',
          '    run:',
          '      shell: true',
          `      command: 'echo "gate saw $${VARIABLE}"; exit 3'`,
        ]
      : []),
  ];
  // A failing gate pauses the plan (rather than ending it) so the inspector can be read.
  const policy = options.gate ? ['onJobFailure: pause'] : [];
  await writeFile(file, ['id: secrets', ...policy, 'jobs:', ...jobs, ''].join('\n'));
  return file;
}

/** Every regular file of the state folder, by name (the control socket is not a file). */
async function storedFiles(stateDir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const entry of await readdir(stateDir, { withFileTypes: true })) {
    if (entry.isFile()) files[entry.name] = await readFile(join(stateDir, entry.name), 'utf8');
  }
  return files;
}

const hidesTheSecret = (text: string) => {
  expect(text).not.toContain(TOKEN);
  expect(text).not.toContain(TOKEN_BASE64);
};

describe('secrets taken from the environment', () => {
  it.each(['plain', 'jsonl', 'pretty'])(
    'show as *** in the %s output, the state folder and status, never as written',
    async (reporter) => {
      const file = await planFile();
      const stateDir = join(dir, 'state');
      const result = await cli(['run', file, '--state-dir', stateDir, '--reporter', reporter]);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('token=***');
      hidesTheSecret(result.stdout + result.stderr);

      const files = await storedFiles(stateDir);
      expect(Object.keys(files)).toEqual(
        expect.arrayContaining(['journal.jsonl', 'plan.source', 'plan.meta.json']),
      );
      for (const text of Object.values(files)) hidesTheSecret(text);
      expect(files['journal.jsonl']).toContain('token=***');
      expect(files['plan.source']).toContain(`{ fromEnv: ${VARIABLE} }`);

      const status = await cli(['status', stateDir]);
      expect(status.code).toBe(0);
      hidesTheSecret(status.stdout + status.stderr);
    },
  );

  it('stay out of a snapshot of the plan', async () => {
    // More than 10,000 records, so that the store writes a snapshot while the job runs.
    const file = await planFile({ lines: 10_050 });
    const stateDir = join(dir, 'state');
    const result = await cli(['run', file, '--state-dir', stateDir, '--reporter', 'jsonl']);
    expect(result.code).toBe(0);
    hidesTheSecret(result.stdout);
    const files = await storedFiles(stateDir);
    expect(files['snapshot.json']).toBeDefined();
    for (const text of Object.values(files)) hidesTheSecret(text);
  });

  it('show as *** in the inspector, also in the output of a job that only inherited the variable', async () => {
    const file = await planFile({ gate: true });
    const stateDir = join(dir, 'state');
    let address: { origin: string; token: string } | undefined;
    let inspected: Promise<string> | undefined;
    const result = await cli(
      ['run', file, '--state-dir', stateDir, '--inspect', '--reporter', 'jsonl'],
      {
        onStderr: (stderr) => {
          const url = /inspector: (http:\/\/127\.0\.0\.1:\d+)\/#token=([\w-]+)/.exec(stderr);
          if (url) address = { origin: url[1]!, token: url[2]! };
        },
        onLine: (line) => {
          if (!line.includes('"plan-paused"') || inspected || !address) return;
          const { origin, token } = address;
          inspected = new Promise<string>((resolve, reject) => {
            const live = origin.replace('http:', 'ws:');
            const socket = new WebSocket(`${live}/live?token=${token}`);
            socket.once('message', (data) => {
              socket.close();
              resolve(String(data));
            });
            socket.once('error', reject);
          }).finally(() =>
            fetch(`${origin}/api/command`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
              body: JSON.stringify({ type: 'CANCEL', reason: 'seen' }),
            }),
          );
        },
      },
    );
    const hello = await inspected!;
    expect(hello).toContain('token=***');
    expect(hello).toContain('gate saw ***');
    hidesTheSecret(hello);
    hidesTheSecret(result.stdout + result.stderr);
    for (const text of Object.values(await storedFiles(stateDir))) hidesTheSecret(text);
  });

  it('that is not set stops run and resume with exit code 2, naming the job and the variable', async () => {
    const file = await planFile();
    const stateDir = join(dir, 'state');
    delete process.env[VARIABLE];
    const run = await cli(['run', file, '--state-dir', stateDir]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `plan.yaml:8:20 error SECRET_NOT_SET env API_TOKEN of job "leak" is a secret taken from the environment variable ${VARIABLE}, which is not set; set ${VARIABLE} and run again (resume needs it set again too: secret values are never stored)`,
    );
    expect(await readdir(dir)).toEqual(['plan.yaml']);

    process.env[VARIABLE] = TOKEN;
    expect((await cli(['run', file, '--state-dir', stateDir])).code).toBe(0);
    delete process.env[VARIABLE];
    const resumed = await cli(['resume', stateDir]);
    expect(resumed.code).toBe(2);
    expect(resumed.stderr).toContain(`SECRET_NOT_SET env API_TOKEN of job "leak"`);
    expect(resumed.stderr).toContain('resume needs it set again');
  });

  it('need not be set to validate the plan', async () => {
    const file = await planFile();
    delete process.env[VARIABLE];
    const result = await cli(['validate', file]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('valid plan "secrets" with 1 job');
  });
});

describe('secret env values in a plan file', () => {
  const plan = (env: string) =>
    [
      'id: p',
      'jobs:',
      '  - id: a',
      '    run:',
      '      command: env',
      '      env:',
      `        TOKEN: ${env}`,
      '',
    ].join('\n');
  const diagnostics = (env: string, environment: NodeJS.ProcessEnv = {}) => {
    const loaded = parsePlanText(plan(env), 'p.yaml', dir, { environment });
    return loaded.ok
      ? []
      : loaded.diagnostics.map((d) => `${d.line}:${d.col} ${d.code} ${d.message}`);
  };

  it('refuses a secret written in the file, saying to take it from the environment', () => {
    expect(diagnostics("{ value: 'hunter22', secret: true }")).toEqual([
      '7:16 INVALID_RUN env TOKEN: a secret written in the plan file would be stored as written in the state folder (plan.source); put it in an environment variable and write { fromEnv: TOKEN }',
    ]);
  });

  it('refuses a secret shorter than 4 characters, which could not be redacted', () => {
    expect(diagnostics('{ fromEnv: T }', { T: 'abc' })).toEqual([
      '7:16 SECRET_TOO_SHORT env TOKEN of job "a" is a secret taken from the environment variable T, which holds 3 characters; a secret needs at least 4 to be redacted from the output without hiding ordinary text',
    ]);
    expect(diagnostics('{ fromEnv: T }', { T: 'a' })).toEqual([
      '7:16 SECRET_TOO_SHORT env TOKEN of job "a" is a secret taken from the environment variable T, which holds 1 character; a secret needs at least 4 to be redacted from the output without hiding ordinary text',
    ]);
    expect(diagnostics('{ fromEnv: T }', { T: 'abcd' })).toEqual([]);
  });

  it('refuses a fromEnv that names no variable, or comes with other fields', () => {
    expect(diagnostics("{ fromEnv: 'A-B' }")).toEqual([
      '7:16 INVALID_RUN env TOKEN: fromEnv must name an environment variable (letters, digits and _, not starting with a digit); got "A-B" (string)',
    ]);
    expect(diagnostics('{ fromEnv: T, secret: false }', { T: 'abcd' })).toEqual([
      '7:16 INVALID_RUN env TOKEN: { fromEnv } takes no other field; remove "secret"',
    ]);
    expect(diagnostics('[1]')).toEqual([
      '7:16 INVALID_RUN env TOKEN must be a string, or { fromEnv: NAME } to take a secret from the environment; got [1] (array)',
    ]);
  });
});
