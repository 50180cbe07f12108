import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readmeYaml } from './readme-blocks.js';
import { cli } from './run-cli.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plan-outputs-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function planFile(text: string): Promise<string> {
  const file = join(dir, 'plan.yaml');
  await writeFile(file, text);
  return file;
}

/** A job that prints its arguments and some of its env as JSON, one line. */
const SHOW = `console.log(JSON.stringify({ args: process.argv.slice(1), env: process.env.FROM_BUILD, cwd: process.cwd() }))`;

const records = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));

describe('outputs between the jobs of a plan file', () => {
  it("README's example hands build's version to publish", async () => {
    const file = await planFile(await readmeYaml('outputs-example'));
    const result = await cli(['run', file, '--reporter', 'plain']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('publish | publishing 1.4.2 as publish');
  });

  it('pass what a job writes to $PLAN_OUTPUT verbatim into the args, env and cwd of its dependents', async () => {
    await mkdir(join(dir, 'out', 'v1.2.0'), { recursive: true });
    const file = await planFile(`
id: outputs
jobs:
  - id: build
    run:
      command: sh
      args:
        - -c
        - |
          echo "version=v1.2.0" >> "$PLAN_OUTPUT"
          echo 'tricky=$(touch PWNED) "quoted" ; *' >> "$PLAN_OUTPUT"
          printf 'notes<<END\\nfirst line\\n  second line\\nEND\\n' >> "$PLAN_OUTPUT"
  - id: ship
    dependsOn: [build]
    run:
      command: ${process.execPath}
      args:
        - -e
        - ${JSON.stringify(SHOW)}
        - "\${{ needs.build.outputs.tricky }}"
        - "\${{ needs.build.outputs.notes }}"
        - "\${{ plan.id }}/\${{ job.id }}/\${{ attempt.id }}"
      env:
        FROM_BUILD: "release \${{ needs.build.outputs.version }}"
      cwd: "out/\${{ needs.build.outputs.version }}"
`);
    const result = await cli(['run', file, '--reporter', 'jsonl']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const all = records(result.stdout);
    const built = all.find((r) => r.type === 'job-succeeded' && r.jobId === 'build');
    expect(built.output).toEqual({
      exitCode: 0,
      outputs: {
        version: 'v1.2.0',
        tricky: '$(touch PWNED) "quoted" ; *',
        notes: 'first line\n  second line',
      },
    });
    const shown = JSON.parse(
      all.find((r) => r.type === 'job-progress' && r.jobId === 'ship').progress.line,
    );
    expect(shown).toEqual({
      args: ['$(touch PWNED) "quoted" ; *', 'first line\n  second line', 'outputs/ship/ship#1'],
      env: 'release v1.2.0',
      cwd: join(dir, 'out', 'v1.2.0'),
    });
  });

  it('are recorded in the state folder, shown by status and still there for a job run again by resume', async () => {
    const release = join(dir, 'release');
    const stateDir = join(dir, 'state');
    const file = await planFile(`
id: resumable
jobs:
  - id: build
    run: { command: sh, args: [-c, 'echo "artifact=build-42.tar" >> "$PLAN_OUTPUT"'] }
  - id: deploy
    dependsOn: [build]
    run:
      command: sh
      args:
        - -c
        - 'echo "waiting with $0"; while [ ! -e "${release}" ]; do sleep 0.05; done; echo "deployed $0"'
        - "\${{ needs.build.outputs.artifact }}"
`);
    const first = await cli(['run', file, '--state-dir', stateDir, '--reporter', 'plain'], {
      onLine: (line, child) => {
        if (line.includes('deploy | waiting with build-42.tar')) child.kill('SIGTERM');
      },
    });
    expect(first.code).toBe(143);
    const status = await cli(['status', stateDir]);
    expect(status.stdout).toMatch(/build +succeeded +attempt 1 +outputs: artifact="build-42.tar"/);

    await writeFile(release, '');
    const resumed = await cli(['resume', stateDir, '--reporter', 'plain']);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('deploy | deployed build-42.tar');
    expect(resumed.stdout).not.toContain('build: started');
  });

  it('stay redacted when a secret flows into them', async () => {
    const variable = 'PLAN_OUTPUTS_TEST_TOKEN';
    const token = `tok-${randomUUID()}`;
    const stateDir = join(dir, 'state');
    const file = await planFile(`
id: secret-outputs
jobs:
  - id: login
    run:
      command: sh
      args: [-c, 'echo "session=$TOKEN" >> "$PLAN_OUTPUT"']
      env: { TOKEN: { fromEnv: ${variable} } }
  - id: use
    dependsOn: [login]
    run: { command: echo, args: ["\${{ needs.login.outputs.session }}"] }
`);
    const result = await cli(['run', file, '--state-dir', stateDir, '--reporter', 'jsonl'], {
      env: { ...process.env, [variable]: token },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain(token);
    const journal = await readFile(join(stateDir, 'journal.jsonl'), 'utf8');
    expect(journal).toContain('"outputs":{"session":"***"}');
    expect(journal).not.toContain(token);
    const login = records(result.stdout).find(
      (r) => r.type === 'job-succeeded' && r.jobId === 'login',
    );
    expect(login.output.outputs).toEqual({ session: '***' });
  });

  it('fail the dependent, naming the output, when the job did not write it; a malformed line fails the writer', async () => {
    const file = await planFile(`
id: missing
onJobFailure: continue
jobs:
  - id: build
    run: { command: sh, args: [-c, 'echo "version=1" >> "$PLAN_OUTPUT"'] }
  - id: ship
    dependsOn: [build]
    run: { command: echo, args: ["\${{ needs.build.outputs.verison }}"] }
  - id: garbled
    run: { command: sh, args: [-c, 'echo "just text" >> "$PLAN_OUTPUT"'] }
`);
    const result = await cli(['run', file, '--reporter', 'plain']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      `ship: failed (job_failed): \${{ needs.build.outputs.verison }} has no value: job "build" did not write the output "verison" to $PLAN_OUTPUT (it wrote version)`,
    );
    expect(result.stdout).toContain(
      'garbled: failed (job_failed): $PLAN_OUTPUT line 1: expected key=value, or key<<DELIMITER for a value of several lines',
    );
  });

  it('cannot lead a cwd out of the plan folder unless --allow-outside-cwd', async () => {
    const file = await planFile(`
id: escape
jobs:
  - id: pick
    run: { command: sh, args: [-c, 'echo "dir=../.." >> "$PLAN_OUTPUT"'] }
  - id: work
    dependsOn: [pick]
    run: { command: pwd, cwd: "\${{ needs.pick.outputs.dir }}" }
`);
    const refused = await cli(['run', file, '--reporter', 'plain']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(
      `work: failed (job_failed): cwd "../.." (from "\${{ needs.pick.outputs.dir }}") is outside the plan's folder; pass --allow-outside-cwd to allow it`,
    );
    const allowed = await cli(['run', file, '--reporter', 'plain', '--allow-outside-cwd']);
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toContain(`work | ${join(dir, '..', '..')}`);
  });

  it('are checked before anything runs: a job that is not a dependency, an unknown expression, each with its position and a suggestion', async () => {
    const file = await planFile(`id: checked
jobs:
  - id: build
    run: { command: "true" }
  - id: lint
    run: { command: "true" }
  - id: ship
    dependsOn: [build]
    run:
      command: echo
      args:
        - "\${{ needs.biuld.outputs.version }}"
        - "\${{ needs.lint.outputs.report }}"
        - "\${{ job.idd }}"
        - "\${{ needs.build.output.version }}"
integration:
  integrate:
    command: echo
    args: ["\${{ needs.build.outputs.version }}", "\${{ job.output.sha }}"]
finalize:
  command: "\${{ plan.id }}"
`);
    const result = await cli(['validate', file]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([
      `${file}:12:11 error INVALID_EXPRESSION \${{ needs.biuld.outputs.version }}: there is no job "biuld"; did you mean "build"?`,
      `${file}:13:11 error INVALID_EXPRESSION \${{ needs.lint.outputs.report }}: job "lint" is not in the dependsOn of job "ship" (only the outputs of direct dependencies can be used); add "lint" to its dependsOn`,
      `${file}:14:11 error INVALID_EXPRESSION \${{ job.idd }}: unknown expression; did you mean "job.id"? here one can use plan.id, job.id, attempt.id, needs.<job>.outputs.<key>`,
      `${file}:15:11 error INVALID_EXPRESSION \${{ needs.build.output.version }}: unknown expression; did you mean "needs.build.outputs.version"? here one can use plan.id, job.id, attempt.id, needs.<job>.outputs.<key>`,
      `${file}:19:12 error INVALID_EXPRESSION \${{ needs.build.outputs.version }}: unknown expression; here one can use plan.id, job.id, job.outputs.<key>`,
      `${file}:19:50 error INVALID_EXPRESSION \${{ job.output.sha }}: unknown expression; did you mean "job.outputs.sha"? here one can use plan.id, job.id, job.outputs.<key>`,
      `${file}:21:12 error INVALID_EXPRESSION expressions (\${{ … }}) cannot be used in command: put the value in args, or in env and read it from there`,
    ]);
  });
});
